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
 * Node's own HTTP client (node:http, node:https): its native parser needs no WebAssembly, which in the single
 * executable cost the agent a third of its memory with undici (docs/benchmarks.md, footprint). The request counts as
 * sent at the request's 'finish' event: its head and body were handed to the operating system.
 */
import type { Agent, ClientRequest, IncomingMessage, RequestOptions } from 'node:http';
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

/** Why an exchange failed when node:http did not say: the deadline passed, or the answer was too large. */
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

/** What an exchange needs of node:http or node:https: its request function and a keep-alive agent of the same kind. */
export interface HttpClient {
  request(url: URL, options: RequestOptions, onResponse?: (res: IncomingMessage) => void): ClientRequest;
  agent: Agent;
}

function headerMap(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i].toLowerCase()] = raw[i + 1];
  return out;
}

export function httpExchange(client: HttpClient, url: URL, opts: HttpExchangeOptions): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    let sent = false;
    let settled = false;
    const chunks: Buffer[] = [];
    let size = 0;

    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      fn();
    };
    const headers: Record<string, string | number> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
    const req = client.request(url, { method: opts.method, headers, agent: client.agent });
    /** Ends the exchange now: the request (and its connection) is dropped. */
    const giveUp = (reason: Error) => {
      settle(() => reject(new HttpExchangeError(reason, sent)));
      req.destroy(reason);
    };
    const deadline = setTimeout(
      () => giveUp(failure('DEADLINE', `no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    const tooLarge = (what: string) =>
      giveUp(failure('ANSWER_TOO_LARGE', `the answer is larger than ${MAX_ANSWER_BYTES} bytes (${what})`));

    req.on('finish', () => {
      sent = true;
    });
    req.on('error', (err) => settle(() => reject(new HttpExchangeError(err, sent))));
    req.on('response', (res) => {
      const answerHeaders = headerMap(res.rawHeaders);
      const claimed = Number(answerHeaders['content-length']);
      if (claimed > MAX_ANSWER_BYTES) return tooLarge(`content-length ${answerHeaders['content-length']}`);
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) return tooLarge('more was sent');
        chunks.push(chunk);
      });
      res.on('end', () =>
        settle(() =>
          resolve({
            statusCode: res.statusCode ?? 0,
            headers: answerHeaders,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        ),
      );
      // The connection ended before the whole answer came: the request went out, the answer is unusable.
      res.on('close', () => {
        if (!res.complete) giveUp(new Error('the connection closed before the whole answer came'));
      });
      res.on('error', (err) => giveUp(err));
    });
    req.end(opts.body);
  });
}
