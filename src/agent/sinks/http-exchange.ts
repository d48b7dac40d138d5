/**
 * One HTTP request and its answer, as every agent sink and the panel poll make them:
 * - one overall deadline (connect, request, answer head and body together): an answer trickled a byte at a time
 *   cannot hold the agent longer than `timeoutMs`;
 * - a cap on the answer: an answer that claims or sends more than MAX_ANSWER_BYTES is abandoned, never read whole;
 * - when it fails, whether the request had been written out in full before it failed. That is the line between
 *   "certainly not delivered" (refused connection, DNS failure, connect timeout, a socket that died while writing)
 *   and "maybe delivered" (the request went out, the answer never came back or could not be read). A receiver
 *   without an idempotency key, such as a panel, needs the caller to know which.
 *
 * undici's `request()` exposes neither the moment the request was sent nor a cap, so we dispatch with our own
 * handler and take undici's `onRequestSent` callback, made once the request head and body were handed to the socket.
 */
import type { Dispatcher } from 'undici';
import { errorCode } from '../../common/error-message.js';

/** Answers are small JSON documents (an ack list, `{"data":true}`, a panel's user list); 1 MiB is far above them. */
export const MAX_ANSWER_BYTES = 1 << 20;

export interface HttpAnswer {
  statusCode: number;
  /** Lower-case names; the last value wins for repeated headers. */
  headers: Record<string, string>;
  text: string;
}

export interface HttpExchangeOptions {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** The whole exchange: connect, send, answer head and body. */
  timeoutMs: number;
}

/** Why an exchange failed when undici did not say: the deadline passed, or the answer was too large. */
export type ExchangeFailure = 'DEADLINE' | 'ANSWER_TOO_LARGE';

export class HttpExchangeError extends Error {
  /** The whole request was written before the failure: the receiver may have acted on it. */
  readonly requestSent: boolean;
  readonly code: string | undefined;

  constructor(cause: Error, requestSent: boolean) {
    super(cause.message, { cause });
    this.name = 'HttpExchangeError';
    this.requestSent = requestSent;
    this.code = errorCode(cause);
  }
}

function failure(code: ExchangeFailure, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function headerMap(raw: Buffer[] | string[] | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i].toString().toLowerCase()] = raw[i + 1].toString();
  return out;
}

export function httpExchange(dispatcher: Dispatcher, url: URL, opts: HttpExchangeOptions): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    let sent = false;
    let settled = false;
    let abort: ((reason: Error) => void) | null = null;
    let pendingAbort: Error | null = null;
    let statusCode = 0;
    let headers: Record<string, string> = {};
    const chunks: Buffer[] = [];
    let size = 0;

    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn();
    };
    /** Ends the exchange now: undici is told to drop the request (at once, or as soon as it hands us the means). */
    const giveUp = (reason: Error) => {
      settle(() => reject(new HttpExchangeError(reason, sent)));
      if (abort) abort(reason);
      else pendingAbort = reason;
    };
    const deadline = setTimeout(
      () => giveUp(failure('DEADLINE', `no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    const tooLarge = (what: string) =>
      giveUp(failure('ANSWER_TOO_LARGE', `the answer is larger than ${MAX_ANSWER_BYTES} bytes (${what})`));

    const handler: Dispatcher.DispatchHandler & { onRequestSent(): void } = {
      onConnect(abortRequest) {
        abort = abortRequest;
        if (pendingAbort) abortRequest(pendingAbort);
      },
      onRequestSent() {
        sent = true;
      },
      onHeaders(status, rawHeaders) {
        if (status < 200) return true; // 1xx: the real answer follows
        statusCode = status;
        headers = headerMap(rawHeaders);
        const claimed = Number(headers['content-length']);
        if (claimed > MAX_ANSWER_BYTES) tooLarge(`content-length ${headers['content-length']}`);
        return true;
      },
      onData(chunk) {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) {
          tooLarge('more was sent');
          return false;
        }
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        settle(() => resolve({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8') }));
      },
      onError(err) {
        settle(() => reject(new HttpExchangeError(err, sent)));
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
