/** The collector's heartbeat: every record (interface deltas), plus load, uptime and host facts. */
import { Agent, request } from 'undici';
import { Value } from '@sinclair/typebox/value';
import {
  HEARTBEAT_PATH,
  HeartbeatResponse,
  type HeartbeatRequest,
  type HostFacts,
  type TrafficRecord,
} from '../../protocol/heartbeat.js';
import type { OutboxRecord } from '../state/agent-state.js';
import { takesAll } from '../outbox/outbox.js';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type Sink } from './sink.js';
import { endpointUrl, isRetryableStatus, readErrorText } from './sink-http.js';
import { errorMessage } from '../../common/error-message.js';

export interface HeartbeatExtras {
  load: [number, number, number] | null;
  uptimeSec: number;
  bootId: string | null;
  agentVersion: string;
  host: HostFacts | undefined;
}

export interface CollectorSinkOptions {
  url: string;
  token: string;
  timeoutMs: number;
  batchSize: number;
  extras: () => HeartbeatExtras;
}

function wireRecord(r: OutboxRecord): TrafficRecord {
  return { seq: r.seq, from: r.from, to: r.to, rx: r.rx, tx: r.tx, ...(r.events ? { events: r.events } : {}) };
}

export class CollectorHeartbeatSink implements Sink {
  readonly name = 'collector' as const;
  readonly takes = takesAll;
  readonly sendsEmpty = true;
  readonly idempotent = true;
  readonly batchLimit: number;
  private readonly opts: CollectorSinkOptions;
  private readonly dispatcher: Agent;
  private readonly url: URL;

  constructor(opts: CollectorSinkOptions) {
    this.opts = opts;
    this.batchLimit = opts.batchSize;
    // endpointUrl keeps a path in collector.url (a collector behind a reverse proxy under /traffic stays there).
    this.url = endpointUrl(opts.url, HEARTBEAT_PATH, {});
    this.dispatcher = new Agent({ keepAliveTimeout: 60_000, connect: { timeout: opts.timeoutMs } });
  }

  async deliver(records: readonly OutboxRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
    const body: HeartbeatRequest = {
      epoch: ctx.epoch,
      records: records.map(wireRecord),
      ...this.opts.extras(),
      sentAt: ctx.now(),
    };
    if (body.host === undefined) delete body.host;
    const url = this.url;
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        body: JSON.stringify(body),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
    } catch (err) {
      throw new DeliveryError(`collector ${url.origin} unreachable: ${errorMessage(err)}`, null, true, {
        cause: err,
      });
    }
    if (res.statusCode !== 200) {
      const text = await readErrorText(res.body, this.opts.token);
      throw new DeliveryError(
        `collector answered ${res.statusCode}: ${text}`,
        res.statusCode,
        isRetryableStatus(res.statusCode),
      );
    }
    let answer: unknown;
    try {
      answer = await res.body.json();
    } catch (err) {
      throw new DeliveryError(`collector answer is not JSON: ${errorMessage(err)}`, 200, true, { cause: err });
    }
    if (!Value.Check(HeartbeatResponse, answer) || answer.epoch !== ctx.epoch) {
      throw new DeliveryError('collector answer does not match the heartbeat contract', 200, true);
    }
    const sent = new Set(records.map((r) => r.seq));
    return { acked: new Set(answer.acked.filter((s) => sent.has(s))), duplicates: answer.duplicates };
  }

  /** Safe to call twice (a reload closes the sinks it replaces; shutdown closes the current ones). */
  async close(): Promise<void> {
    if (!this.dispatcher.closed) await this.dispatcher.close();
  }
}
