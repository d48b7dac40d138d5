/**
 * Per-user traffic to our collector, over the UniProxy push contract plus two headers the collector honours:
 * one push per outbox record, keyed "<nodeId>:<epoch>:<seq>", so a resend after a lost answer is acknowledged by
 * the collector without being applied twice. That is why every failure here may simply be retried.
 */
import {
  IDEMPOTENCY_HEADER,
  MEASURED_AT_HEADER,
  UNIPROXY_PUSH_PATH,
  idempotencyKey,
  pushBodyText,
} from '../../protocol/uniproxy.js';
import type { OutboxRecord } from '../state/agent-state.js';
import { takesUsers } from '../outbox/outbox.js';
import {
  DeliveryError,
  deliverInOrder,
  type DeliveryContext,
  type DeliveryResult,
  type Sink,
  type SinkStats,
} from './sink.js';
import { isPushSuccess } from './sink-http.js';
import { SinkTransport } from './sink-transport.js';

export interface CollectorUserSinkOptions {
  url: string;
  nodeId: number;
  nodeType: string;
  token: string;
  timeoutMs: number;
  batchSize: number;
}

export class CollectorUserPushSink implements Sink {
  readonly name = 'collectorUsers' as const;
  readonly takes = takesUsers;
  readonly idempotent = true;
  readonly sendsEmpty = false;
  readonly batchSize: number;
  private readonly opts: CollectorUserSinkOptions;
  private readonly transport: SinkTransport;

  constructor(opts: CollectorUserSinkOptions) {
    this.opts = opts;
    this.batchSize = opts.batchSize;
    this.transport = new SinkTransport({
      receiver: 'collector',
      base: opts.url,
      path: UNIPROXY_PUSH_PATH,
      query: { node_id: opts.nodeId, node_type: opts.nodeType },
      timeoutMs: opts.timeoutMs,
      keepAliveMs: 60_000,
      secret: opts.token,
    });
  }

  /** Pushes the records one by one, in order, and stops at the first that is not acknowledged. */
  deliver(records: readonly OutboxRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
    return deliverInOrder(records, (r) => this.pushOne(r, ctx.epoch));
  }

  private async pushOne(r: OutboxRecord, epoch: string): Promise<void> {
    const res = await this.transport.send({
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${this.opts.token}`,
        [IDEMPOTENCY_HEADER]: idempotencyKey(this.opts.nodeId, epoch, r.seq),
        [MEASURED_AT_HEADER]: String(r.to),
      },
      body: pushBodyText(r.users ?? {}),
    });
    const what = `collector user push (epoch ${epoch}, seq ${r.seq})`;
    if (res.statusCode !== 200) throw this.transport.refusal(res, what, [r.seq]);
    if (!isPushSuccess(res.text)) {
      throw new DeliveryError(
        `${what}: answer is not {"data":true}: ${this.transport.answerText(res.text)}`,
        200,
        true,
      );
    }
  }

  stats(): SinkStats {
    return { lostResponses: null };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
