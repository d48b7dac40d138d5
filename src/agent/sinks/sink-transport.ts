/**
 * The HTTP side every sink and the panel poll share: one connection pool per receiver, the endpoint URL, one
 * exchange with an overall deadline and a capped answer (http-exchange.ts), the secret kept out of every error text,
 * and the translation of a failure into a DeliveryError (unreachable, failed, refused, or a record conflict).
 */
import { HttpConnections } from './http-connections.js';
import { type HttpAnswer, HttpExchangeError, type HttpExchangeOptions, httpExchange } from './http-exchange.js';
import { answerCode, answerMessage, endpointUrl, isRetryableStatus, loggableUrl, withoutSecret } from './sink-http.js';
import { errorMessage } from '../../common/error-message.js';
import { DeliveryError } from './sink.js';

/** The collector's code for a record it holds under the same (node, epoch, seq) with other contents. */
export const RECORD_CONFLICT_CODE = 'TC_RECORD_CONFLICT';

export interface SinkTransportOptions {
  /** Who answers, for messages: "collector", "panel". */
  receiver: string;
  base: string;
  path: string;
  query: Readonly<Record<string, string | number>>;
  timeoutMs: number;
  /** How long an idle connection is kept for the next request. */
  keepAliveMs: number;
  /** How often this receiver is asked (the tick interval), when it is asked once a tick. */
  everyMs?: number;
  /** Cut from every text that may reach a log (a token in the query or a header). */
  secret: string;
}

export class SinkTransport {
  readonly url: URL;
  /** The URL without its query (which may hold the token): what a log line may show. */
  readonly where: string;
  private readonly connections: HttpConnections;
  /** Exchanges not yet settled: close() waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly opts: SinkTransportOptions) {
    // endpointUrl keeps a path in the base (a receiver behind a reverse proxy under /traffic stays there).
    this.url = endpointUrl(opts.base, opts.path, opts.query);
    this.where = loggableUrl(this.url);
    // An idle connection is kept keepAliveMs, or less when the receiver's Keep-Alive header announces a shorter
    // timeout (it is closed a second before that).
    this.connections = new HttpConnections(this.url, opts.keepAliveMs, opts.everyMs);
  }

  /** One exchange; rejects with an HttpExchangeError (whose `requestSent` tells "maybe delivered" apart). */
  exchange(req: Omit<HttpExchangeOptions, 'timeoutMs'>): Promise<HttpAnswer> {
    if (this.closed)
      return Promise.reject(new HttpExchangeError(new Error(`the connection to ${this.where} is closed`), false));
    const exchange = httpExchange(this.connections, this.url, { ...req, timeoutMs: this.opts.timeoutMs });
    const settled = exchange.catch(() => undefined).finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
    return exchange;
  }

  /** Like exchange(), but any failure to get an answer is a retryable DeliveryError: for receivers that dedupe. */
  async send(req: Omit<HttpExchangeOptions, 'timeoutMs'>): Promise<HttpAnswer> {
    try {
      return await this.exchange(req);
    } catch (err) {
      throw this.noAnswer(err);
    }
  }

  /** No usable answer came back (unreachable, deadline, answer too large). */
  noAnswer(err: unknown, what = `${this.opts.receiver} ${this.where}`): DeliveryError {
    const sent = err instanceof HttpExchangeError && err.requestSent;
    const reason = this.clean(errorMessage(err));
    return new DeliveryError(`${what} ${sent ? 'gave no usable answer' : 'unreachable'}: ${reason}`, null, true, {
      cause: err,
    });
  }

  /**
   * The error for an answer other than 200: retryable for 5xx/429/408, a refusal otherwise, and a conflict when the
   * collector says it holds `seqs` with other contents (a refusal too: the same records would conflict again).
   */
  refusal(answer: HttpAnswer, what: string, seqs: readonly number[]): DeliveryError {
    const status = answer.statusCode;
    const message = this.answerText(answer.text);
    if (status === 409 && answerCode(answer.text) === RECORD_CONFLICT_CODE) {
      return new DeliveryError(`${what} conflicts with what the collector holds: ${message}`, status, false, {
        conflict: { seqs },
      });
    }
    const retryable = isRetryableStatus(status);
    return new DeliveryError(
      `${what} ${retryable ? 'failed' : 'refused'} with ${status}: ${message}`,
      status,
      retryable,
    );
  }

  /** The message of an answer, fit for a log line. */
  answerText(text: string): string {
    return this.clean(answerMessage(text));
  }

  clean(text: string): string {
    return withoutSecret(text, this.opts.secret);
  }

  /** Ends the connections once the requests in flight are answered (each within its deadline); safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.inFlight);
    this.connections.destroy();
  }

  /** Abandons the requests in flight and ends the connections now; safe to call after close(). */
  async destroy(): Promise<void> {
    this.closed = true;
    this.connections.destroy();
  }
}
