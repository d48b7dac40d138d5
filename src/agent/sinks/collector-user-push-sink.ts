/**
 * Per-user traffic to our collector, over the UniProxy push contract plus two headers the collector honours:
 * one push per outbox record, keyed "<nodeId>:<epoch>:<seq>", so a resend after a lost answer is acknowledged by
 * the collector without being applied twice. That is why every failure here may simply be retried.
 */
import { Agent, request } from 'undici';
import {
  IDEMPOTENCY_HEADER,
  MEASURED_AT_HEADER,
  UNIPROXY_PUSH_PATH,
  idempotencyKey,
  pushBodyText,
} from '../../protocol/uniproxy.js';
import type { OutboxRecord } from '../state/agent-state.js';
import { takesUsers } from '../outbox/outbox.js';
import { DeliveryError, deliverInOrder, type DeliveryContext, type DeliveryResult, type Sink } from './sink.js';
import {
  answerMessage,
  endpointUrl,
  isPushSuccess,
  isRetryableStatus,
  loggableUrl,
  readErrorText,
} from './sink-http.js';
import { errorMessage } from '../../common/error-message.js';

export interface CollectorUserSinkOptions {
  url: string;
  nodeId: number;
  nodeType: string;
  token: string;
  timeoutMs: number;
  batchLimit: number;
}

export class CollectorUserPushSink implements Sink {
  readonly name = 'collectorUsers' as const;
  readonly takes = takesUsers;
  readonly idempotent = true;
  readonly sendsEmpty = false;
  readonly batchLimit: number;
  private readonly opts: CollectorUserSinkOptions;
  private readonly dispatcher: Agent;
  private readonly url: URL;

  constructor(opts: CollectorUserSinkOptions) {
    this.opts = opts;
    this.batchLimit = opts.batchLimit;
    this.dispatcher = new Agent({ keepAliveTimeout: 60_000, connect: { timeout: opts.timeoutMs } });
    this.url = endpointUrl(opts.url, UNIPROXY_PUSH_PATH, { node_id: opts.nodeId, node_type: opts.nodeType });
  }

  /** Pushes the records one by one, in order, and stops at the first that is not acknowledged. */
  deliver(records: readonly OutboxRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
    return deliverInOrder(records, (r) => this.pushOne(r, ctx.epoch));
  }

  private async pushOne(r: OutboxRecord, epoch: string): Promise<void> {
    const where = loggableUrl(this.url);
    let res;
    try {
      res = await request(this.url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${this.opts.token}`,
          [IDEMPOTENCY_HEADER]: idempotencyKey(this.opts.nodeId, epoch, r.seq),
          [MEASURED_AT_HEADER]: String(r.to),
        },
        body: pushBodyText(r.users ?? {}),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
    } catch (err) {
      throw new DeliveryError(`collector ${where} unreachable: ${errorMessage(err)}`, null, true, { cause: err });
    }
    const text =
      res.statusCode === 200
        ? await res.body.text().catch(() => '') // an unreadable 200 body is then not a success: retried, logged
        : await readErrorText(res.body, this.opts.token);
    if (res.statusCode !== 200) {
      throw new DeliveryError(
        `collector user push (seq ${r.seq}) answered ${res.statusCode}: ${answerMessage(text)}`,
        res.statusCode,
        isRetryableStatus(res.statusCode),
      );
    }
    if (!isPushSuccess(text)) {
      throw new DeliveryError(
        `collector user push (seq ${r.seq}): answer is not {"data":true}: ${answerMessage(text)}`,
        200,
        true,
      );
    }
  }

  /** Safe to call twice (a reload closes the sinks it replaces; shutdown closes the current ones). */
  async close(): Promise<void> {
    if (!this.dispatcher.closed) await this.dispatcher.close();
  }
}
