/**
 * One HTTP request and its answer, as every agent sink and the panel poll make them:
 * - one overall deadline (connect, request, answer head and body together): an answer trickled a byte at a time
 *   cannot hold the agent longer than `timeoutMs`;
 * - a cap on the answer: an answer that claims or sends more than MAX_ANSWER_BYTES, or a head over MAX_HEAD_BYTES,
 *   is abandoned, never read whole;
 * - when it fails, whether the request had been written out in full before it failed. That is the line between
 *   "certainly not delivered" (refused connection, DNS failure, connect timeout, a socket that died while writing)
 *   and "maybe delivered" (the request went out, the answer never came back or could not be read). A receiver
 *   without an idempotency key, such as a panel, needs the caller to know which.
 *
 * HTTP/1.1 written straight to a keep-alive connection (http-connections.ts), the answer read by http-parser-js
 * (status line, headers, a body sized by Content-Length, chunked, or ended by the connection's close). Node's own
 * client (node:http) cost the agent about 1.5 ms of CPU per request at one request a second, most of the agent's
 * tick (docs/benchmarks.md, footprint): its streams, events and agent machinery run cold at that cadence. undici's
 * parser is WebAssembly, which cost the single executable a third of its memory. The request counts as sent once the
 * socket has handed all of it to the operating system (the write's callback).
 */
import { HTTPParser } from 'http-parser-js';
import type { Socket } from 'node:net';
import { errorCode } from '../../common/error-message.js';

import type { HttpConnections } from './http-connections.js';

/** Answers are small JSON documents (an ack list, `{"data":true}`, a panel's user list); 1 MiB is far above them. */
export const MAX_ANSWER_BYTES = 1 << 20;
/** The status line and headers of an answer. */
export const MAX_HEAD_BYTES = 64 * 1024;

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

/** Why an exchange failed when the socket did not say: the deadline passed, the answer was too large or malformed. */
export type ExchangeFailure = 'DEADLINE' | 'ANSWER_TOO_LARGE' | 'ANSWER_MALFORMED';

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

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const DIGITS = /^[0-9]{1,15}$/;
const KEEP_ALIVE_HINT = /(?:^|,)\s*timeout=(\d+)/i;

function headerMap(raw: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i].toLowerCase()] = raw[i + 1];
  return out;
}

/** The request's bytes; a header name or value that would break the request's framing is refused, never sent. */
export function requestBytes(url: URL, opts: Pick<HttpExchangeOptions, 'method' | 'headers' | 'body'>): string {
  let head = `${opts.method} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: keep-alive\r\n`;
  const headers: Record<string, string> = { ...opts.headers };
  // As node:http: credentials in the URL become Basic authorization unless the caller set one.
  if (url.username !== '' && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
    const user = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
    headers.Authorization = `Basic ${Buffer.from(user).toString('base64')}`;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name) || BAD_VALUE.test(value)) throw new TypeError(`invalid HTTP header ${JSON.stringify(name)}`);
    head += `${name}: ${value}\r\n`;
  }
  if (opts.body !== undefined) head += `Content-Length: ${Buffer.byteLength(opts.body)}\r\n`;
  return `${head}\r\n${opts.body ?? ''}`;
}

export function httpExchange(connections: HttpConnections, url: URL, opts: HttpExchangeOptions): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    let bytes: string;
    let socket: Socket;
    try {
      bytes = requestBytes(url, opts);
      socket = connections.take((chunk) => onData(chunk));
    } catch (err) {
      reject(new HttpExchangeError(err as Error, false));
      return;
    }
    let sent = false;
    let settled = false;
    let statusCode = 0;
    let headers: Record<string, string> = {};
    let keepAlive = false;
    let informational = false;
    let complete = false;
    const chunks: Buffer[] = [];
    let size = 0;

    const parser = new HTTPParser(HTTPParser.RESPONSE);
    parser.maxHeaderSize = MAX_HEAD_BYTES;
    // The parser calls these while it reads; what they throw comes out of execute() and ends the exchange.
    parser[HTTPParser.kOnHeadersComplete] = (info) => {
      // 1xx: an interim answer (100 Continue, 103 Early Hints); the real one follows on the same connection.
      informational = info.statusCode < 200;
      if (informational) return;
      headers = headerMap(info.headers);
      const claimed = headers['content-length'];
      if (claimed !== undefined && !DIGITS.test(claimed)) throw failure('ANSWER_MALFORMED', 'bad content-length');
      if (Number(claimed) > MAX_ANSWER_BYTES) throw tooLarge(`content-length ${claimed}`);
      statusCode = info.statusCode;
      keepAlive = info.shouldKeepAlive && !info.upgrade;
    };
    parser[HTTPParser.kOnBody] = (chunk, offset, length) => {
      if (!(length >= 0)) throw failure('ANSWER_MALFORMED', 'bad chunk size');
      size += length;
      if (size > MAX_ANSWER_BYTES) throw tooLarge('more was sent');
      chunks.push(Buffer.from(chunk.subarray(offset, offset + length))); // the read buffer is reused
    };
    /** Where in the chunk being parsed the answer ended (the parser's own position). */
    let endedAt = 0;
    parser[HTTPParser.kOnMessageComplete] = () => {
      if (informational) informational = false;
      else {
        complete = true;
        endedAt = (parser as unknown as { offset: number }).offset;
      }
    };
    /** What the parser threw or returned: our own failures as they are, its own as a malformed (or too large) answer. */
    const parseFailure = (err: Error): Error => {
      if (errorCode(err)?.startsWith('ANSWER_')) return err;
      if (err.message === 'max header size exceeded')
        return failure('ANSWER_TOO_LARGE', `the answer's head is larger than ${MAX_HEAD_BYTES} bytes`);
      return failure('ANSWER_MALFORMED', `the answer is not valid HTTP (${errorCode(err) ?? err.message})`);
    };

    const cleanup = () => {
      clearTimeout(deadline);
      socket.removeListener('end', onEnd);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
    };
    /** Ends the exchange now: the request (and its connection) is dropped. */
    const fail = (reason: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      connections.release(socket, false, null);
      reject(new HttpExchangeError(reason, sent));
    };
    const done = (reuse: boolean) => {
      if (settled) return;
      settled = true;
      cleanup();
      const hint = KEEP_ALIVE_HINT.exec(headers['keep-alive'] ?? '');
      connections.release(socket, reuse && keepAlive && sent, hint ? Number(hint[1]) : null);
      resolve({ statusCode, headers, text: Buffer.concat(chunks).toString('utf8') });
    };
    function onData(chunk: Buffer): void {
      let read: number | Error;
      try {
        read = parser.execute(chunk);
      } catch (err) {
        read = err as Error;
      }
      if (read instanceof Error) {
        // Whatever follows a whole answer (the parser reads on into it) leaves that answer standing.
        if (complete) done(false);
        else fail(parseFailure(read));
        return;
      }
      // Anything after the answer was not asked for: the answer stands, the connection is not used again.
      if (complete) done(endedAt === chunk.length);
    }
    // The receiver closed its side: that ends an answer without a length, any other is incomplete.
    const onEnd = () => {
      if (!complete) {
        try {
          parser.finish();
        } catch (err) {
          return fail(parseFailure(err as Error));
        }
      }
      if (complete) done(false);
      else fail(new Error('the connection closed before the whole answer came'));
    };
    const onError = (err: Error) => fail(err);
    const onClose = () => fail(new Error('the connection closed before the whole answer came'));
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
    const deadline = setTimeout(
      () => fail(failure('DEADLINE', `no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    socket.write(bytes, (err) => {
      if (!err) sent = true;
    });
  });
}

function tooLarge(what: string): Error {
  return failure('ANSWER_TOO_LARGE', `the answer is larger than ${MAX_ANSWER_BYTES} bytes (${what})`);
}
