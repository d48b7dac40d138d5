/**
 * Per-user traffic straight to a V2Board / Xboard panel, over the V1 UniProxy push contract exactly:
 * `POST <panel>/api/v1/server/UniProxy/push?token=…&node_id=…&node_type=…` with `{"<uid>":[up,down]}`.
 *
 * A panel has no idempotency key, so a push whose answer was lost after the request went out may or may not have
 * been booked. `retryLostResponse` decides: false (default) counts it as delivered (that batch may go unbilled,
 * nobody is billed twice); true sends it again (nothing goes unbilled, but a push the panel did book is booked
 * twice, as XrayR #106/#570 show). Either way it is logged with the seq and the byte totals, and counted.
 * A push that certainly did not arrive (refused connection, DNS failure, a socket that died before the request was
 * written, a 5xx answer) is always retried.
 */
import type { Logger } from 'pino';
import { UNIPROXY_PUSH_PATH, pushBodyText } from '../../protocol/uniproxy.js';
import type { OutboxRecord } from '../state/agent-state.js';
import { takesUsers } from '../outbox/outbox.js';
import { HttpExchangeError, type HttpAnswer } from './http-exchange.js';
import {
  DeliveryError,
  deliverInOrder,
  type DeliveryContext,
  type DeliveryResult,
  type LostResponseCounts,
  type Sink,
  type SinkStats,
} from './sink.js';
import { isPushSuccess, PANEL_KEEP_ALIVE_MS, userTotals } from './sink-http.js';
import { SinkTransport } from './sink-transport.js';

export interface PanelPushSinkOptions {
  url: string;
  token: string;
  nodeId: number;
  nodeType: string;
  retryLostResponse: boolean;
  timeoutMs: number;
  batchSize: number;
  logger: Logger;
}

export class PanelPushSink implements Sink {
  readonly name = 'panel' as const;
  readonly takes = takesUsers;
  readonly sendsEmpty = false;
  readonly idempotent = false;
  readonly batchSize: number;
  private readonly lostResponses: LostResponseCounts = { retried: 0, assumedDelivered: 0 };
  private readonly opts: PanelPushSinkOptions;
  private readonly transport: SinkTransport;

  constructor(opts: PanelPushSinkOptions) {
    this.opts = opts;
    this.batchSize = opts.batchSize;
    this.transport = new SinkTransport({
      receiver: 'panel',
      base: opts.url,
      path: UNIPROXY_PUSH_PATH,
      query: { token: opts.token, node_id: opts.nodeId, node_type: opts.nodeType },
      timeoutMs: opts.timeoutMs,
      keepAliveMs: PANEL_KEEP_ALIVE_MS,
      secret: opts.token,
    });
  }

  /** One push per record, in order, stopping at the first that is not acknowledged. */
  deliver(records: readonly OutboxRecord[], _ctx: DeliveryContext): Promise<DeliveryResult> {
    return deliverInOrder(records, (r) => this.pushOne(r));
  }

  stats(): SinkStats {
    return { lostResponses: { ...this.lostResponses } };
  }

  private async pushOne(r: OutboxRecord): Promise<void> {
    let res: HttpAnswer;
    try {
      res = await this.transport.exchange({
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: pushBodyText(r.users ?? {}),
      });
    } catch (err) {
      if (err instanceof HttpExchangeError && err.requestSent) return this.lostResponse(r, err);
      throw this.transport.noAnswer(err, `panel ${this.transport.where} (the push did not arrive)`);
    }
    if (res.statusCode !== 200) throw this.transport.refusal(res, `panel push (seq ${r.seq})`, [r.seq]);
    if (!isPushSuccess(res.text)) {
      throw new DeliveryError(
        `panel push (seq ${r.seq}): the answer is not a success: ${this.transport.answerText(res.text)}`,
        200,
        true,
      );
    }
  }

  /** The agent stopped while this record's push was in flight: the same choice as a lost answer. */
  interrupted(r: OutboxRecord): boolean {
    const retry = this.opts.retryLostResponse;
    if (retry) this.lostResponses.retried++;
    else this.lostResponses.assumedDelivered++;
    const totals = userTotals(r.users ?? {});
    this.opts.logger.warn(
      { event: 'panel-interrupted-push', sink: this.name, seq: r.seq, ...totals, retryLostResponse: retry },
      `panel push seq ${r.seq} was in flight when the agent stopped; ${retry ? 'sending it again (panel.retryLostResponse)' : 'counted as delivered'}`,
    );
    return !retry;
  }

  /** The request went out and no answer came back: the panel may have booked it. Returns when it counts as delivered. */
  private lostResponse(r: OutboxRecord, err: HttpExchangeError): void {
    const totals = userTotals(r.users ?? {});
    const retry = this.opts.retryLostResponse;
    if (retry) this.lostResponses.retried++;
    else this.lostResponses.assumedDelivered++;
    this.opts.logger.warn(
      {
        event: 'panel-lost-response',
        sink: this.name,
        seq: r.seq,
        ...totals,
        reason: err.code ?? this.transport.clean(err.message),
        retryLostResponse: retry,
      },
      retry
        ? `panel push seq ${r.seq}: the answer was lost after the push was sent; sending it again (panel.retryLostResponse), so the panel may book ${totals.up} B up / ${totals.down} B down twice`
        : `panel push seq ${r.seq}: the answer was lost after the push was sent; counted as delivered, so if the panel did not book it, ${totals.up} B up / ${totals.down} B down of ${totals.users} users go unbilled`,
    );
    if (retry) {
      throw new DeliveryError(
        `panel push (seq ${r.seq}): answer lost after sending (${this.transport.clean(err.message)}); will send it again`,
        null,
        true,
        { cause: err },
      );
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
