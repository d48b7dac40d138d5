/**
 * An HTTP request that says, when it fails, whether the request had been written out in full before it failed.
 *
 * That is the line between "certainly not delivered" (refused connection, DNS failure, connect timeout, a socket
 * that died while writing) and "maybe delivered" (the request went out, the answer never came back: a reset or a
 * timeout while waiting). A receiver without an idempotency key, such as a panel, needs the caller to know which.
 *
 * undici's `request()` does not expose this, so we dispatch with our own handler and take undici's
 * `onRequestSent` callback, made once the request head and body were handed to the socket.
 */
import type { Dispatcher } from 'undici';
import { errorCode } from '../../common/error-message.js';

export interface TrackedResponse {
  statusCode: number;
  /** Lower-case names; the last value wins for repeated headers. */
  headers: Record<string, string>;
  text: string;
}

export interface TrackedRequestOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Wait for the answer's head, then between body chunks. */
  timeoutMs: number;
}

export class TrackedRequestError extends Error {
  /** The whole request was written before the failure: the receiver may have acted on it. */
  readonly requestSent: boolean;
  readonly code: string | undefined;

  constructor(cause: Error, requestSent: boolean) {
    super(cause.message, { cause });
    this.name = 'TrackedRequestError';
    this.requestSent = requestSent;
    this.code = errorCode(cause);
  }
}

/** Answers are small JSON documents; anything longer is cut (the error text only needs its start). */
const MAX_ANSWER_BYTES = 1 << 20;

function headerMap(raw: Buffer[] | string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i].toString().toLowerCase()] = raw[i + 1].toString();
  return out;
}

export function trackedRequest(
  dispatcher: Dispatcher,
  url: URL,
  opts: TrackedRequestOptions,
): Promise<TrackedResponse> {
  return new Promise<TrackedResponse>((resolve, reject) => {
    let sent = false;
    let statusCode = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;
    const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      onConnect() {},
      onRequestSent() {
        sent = true;
      },
      onHeaders(status, rawHeaders) {
        if (status < 200) return true; // 1xx: the real answer follows
        statusCode = status;
        headers = headerMap(rawHeaders);
        return true;
      },
      onData(chunk) {
        if (size < MAX_ANSWER_BYTES) chunks.push(chunk);
        size += chunk.length;
        return true;
      },
      onComplete() {
        resolve({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES) });
      },
      onError(err) {
        reject(new TrackedRequestError(err, sent));
      },
    };
    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: opts.method,
        headers: opts.headers,
        body: opts.body,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      },
      handler,
    );
  });
}
