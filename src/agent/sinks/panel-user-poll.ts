/**
 * `GET <panel>/api/v1/server/UniProxy/user` every panel.userPollSec seconds. The panel marks a node online when it
 * answers this call (offline after 300 s without one), so the poll runs whether or not there is traffic to push.
 * It sends the last ETag as If-None-Match; a 304 with an empty body means "unchanged".
 * Logs only transitions (reachable, unreachable with the reason, back), never the URL's query: it holds the token.
 */
import type { Logger } from 'pino';
import { UNIPROXY_USER_PATH } from '../../protocol/uniproxy.js';
import { errorMessage } from '../../common/error-message.js';
import { HttpExchangeError } from './http-exchange.js';
import { isRetryableStatus, PANEL_KEEP_ALIVE_MS } from './sink-http.js';
import { SinkTransport } from './sink-transport.js';

export interface PanelUserPollOptions {
  url: string;
  token: string;
  nodeId: number;
  nodeType: string;
  everySec: number;
  timeoutMs: number;
  logger: Logger;
}

export type PollOutcome =
  | { kind: 'users'; count: number; etag: string | null }
  | { kind: 'not-modified' }
  | { kind: 'failed'; reason: string };

export interface PollCounts {
  users: number;
  notModified: number;
  failed: number;
}

export class PanelUserPoll {
  readonly counts: PollCounts = { users: 0, notModified: 0, failed: 0 };
  /** The last ETag the panel sent with a user list. */
  etag: string | null = null;
  /** Users in the last list the panel sent, or null before the first. */
  userCount: number | null = null;
  lastOkAt: number | null = null;
  private reachable: boolean | null = null;
  private lastReason: string | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PollOutcome> | null = null;
  private readonly transport: SinkTransport;

  constructor(private readonly opts: PanelUserPollOptions) {
    this.transport = new SinkTransport({
      receiver: 'panel',
      base: opts.url,
      path: UNIPROXY_USER_PATH,
      query: { token: opts.token, node_id: opts.nodeId, node_type: opts.nodeType },
      timeoutMs: opts.timeoutMs,
      keepAliveMs: PANEL_KEEP_ALIVE_MS,
      secret: opts.token,
    });
  }

  /** Polls now, then every everySec seconds until stop(). */
  start(): void {
    if (this.timer) return;
    const loop = () => {
      void this.pollOnce().finally(() => {
        if (this.timer === null) return;
        this.timer = setTimeout(loop, this.opts.everySec * 1000);
        this.timer.unref();
      });
    };
    this.timer = setTimeout(loop, 0);
    this.timer.unref();
  }

  /** Ends the timer and the connections, abandoning a poll in flight (it is repeated by the next start); idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.transport.destroy();
    await this.running;
  }

  /** One poll (never two at once); never throws. */
  pollOnce(): Promise<PollOutcome> {
    this.running ??= this.poll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async poll(): Promise<PollOutcome> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.etag) headers['if-none-match'] = this.etag;
    let outcome: PollOutcome;
    try {
      const res = await this.transport.exchange({ method: 'GET', headers });
      outcome = this.read(res.statusCode, res.headers, res.text);
    } catch (err) {
      outcome = {
        kind: 'failed',
        reason: `unreachable: ${err instanceof HttpExchangeError && err.code ? `${err.code} ` : ''}${errorMessage(err)}`,
      };
    }
    if (outcome.kind === 'failed') outcome = { kind: 'failed', reason: this.transport.clean(outcome.reason) };
    this.note(outcome);
    return outcome;
  }

  private read(status: number, headers: Record<string, string>, text: string): PollOutcome {
    if (status === 304) return { kind: 'not-modified' };
    if (status !== 200) {
      const kind = isRetryableStatus(status) ? 'failed' : 'refused';
      return { kind: 'failed', reason: `${kind} with ${status}: ${this.transport.answerText(text)}` };
    }
    let users: unknown;
    try {
      users = (JSON.parse(text) as { users?: unknown }).users;
    } catch {
      users = undefined; // not JSON: reported just below as an answer without a user list, with its start
    }
    if (!Array.isArray(users))
      return { kind: 'failed', reason: `answered 200 without a user list: ${this.transport.answerText(text)}` };
    return { kind: 'users', count: users.length, etag: headers.etag ?? null };
  }

  private note(outcome: PollOutcome): void {
    const log = this.opts.logger;
    const where = this.transport.where;
    if (outcome.kind === 'failed') {
      this.counts.failed++;
      if (this.reachable !== false || this.lastReason !== outcome.reason) {
        log.warn(
          { event: 'panel-unreachable', panel: where, reason: outcome.reason },
          `panel user poll ${where} ${outcome.reason}; the panel will show this node offline after 300 s`,
        );
      }
      this.reachable = false;
      this.lastReason = outcome.reason;
      return;
    }
    if (outcome.kind === 'users') {
      this.counts.users++;
      this.etag = outcome.etag;
      this.userCount = outcome.count;
    } else {
      this.counts.notModified++;
    }
    this.lastOkAt = Date.now();
    if (this.reachable === false) {
      log.info({ event: 'panel-back', panel: where }, `panel user poll ${where} answers again`);
    } else if (this.reachable === null) {
      log.info(
        { event: 'panel-reachable', panel: where, users: this.userCount },
        `panel user poll ${where} answers (${this.userCount ?? 'unchanged'} users)`,
      );
    }
    this.reachable = true;
    this.lastReason = null;
  }
}
