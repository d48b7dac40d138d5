/** The collector's heartbeat: every record (interface deltas), plus load, uptime, boot id and host facts. */
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import {
  HEARTBEAT_PATH,
  HeartbeatResponse,
  type HeartbeatRequest,
  type TrafficRecord,
} from '../../protocol/heartbeat.js';
import type { OutboxRecord } from '../state/agent-state.js';
import { takesAll } from '../outbox/outbox.js';
import { AGENT_VERSION } from '../version.js';
import { DeliveryError, type DeliveryContext, type DeliveryResult, type Sink, type SinkStats } from './sink.js';
import { SinkTransport } from './sink-transport.js';
import { errorMessage } from '../../common/error-message.js';

export interface CollectorSinkOptions {
  url: string;
  token: string;
  timeoutMs: number;
  batchSize: number;
  /** The heartbeat interval: a connection the collector closes sooner is not kept (http-connections.ts). */
  everyMs?: number;
}

/** The answer's check, compiled once (the interpreted Value.Check cost more than the rest of reading the answer). */
let answerCheck: TypeCheck<typeof HeartbeatResponse> | null = null;

function wireRecord(r: OutboxRecord): TrafficRecord {
  return { seq: r.seq, from: r.from, to: r.to, rx: r.rx, tx: r.tx, ...(r.events ? { events: r.events } : {}) };
}

export class CollectorHeartbeatSink implements Sink {
  readonly name = 'collector' as const;
  readonly takes = takesAll;
  readonly sendsEmpty = true;
  readonly idempotent = true;
  readonly batchSize: number;
  private readonly token: string;
  private readonly transport: SinkTransport;

  constructor(opts: CollectorSinkOptions) {
    this.batchSize = opts.batchSize;
    this.token = opts.token;
    this.transport = new SinkTransport({
      receiver: 'collector',
      base: opts.url,
      path: HEARTBEAT_PATH,
      query: {},
      timeoutMs: opts.timeoutMs,
      keepAliveMs: 60_000,
      everyMs: opts.everyMs,
      secret: opts.token,
    });
  }

  async deliver(records: readonly OutboxRecord[], ctx: DeliveryContext): Promise<DeliveryResult> {
    const body: HeartbeatRequest = {
      epoch: ctx.epoch,
      records: records.map(wireRecord),
      load: ctx.load,
      uptimeSec: ctx.uptimeSec,
      bootId: ctx.bootId,
      agentVersion: AGENT_VERSION,
      ...(ctx.host ? { host: ctx.host } : {}),
      sentAt: ctx.now(),
    };
    const res = await this.transport.send({
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const seqs = records.map((r) => r.seq);
    if (res.statusCode !== 200) {
      const range = seqs.length > 0 ? ` (epoch ${ctx.epoch}, seq ${seqs[0]}..${seqs[seqs.length - 1]})` : '';
      // A conflict is answered 409 only when the conflicting record comes first (the records before it are stored
      // and acknowledged with a 200), so it is the first seq of this batch.
      throw this.transport.refusal(res, `heartbeat${range}`, seqs.slice(0, 1));
    }
    let answer: unknown;
    try {
      answer = JSON.parse(res.text);
    } catch (err) {
      throw new DeliveryError(`collector answer is not JSON: ${errorMessage(err)}`, 200, true, { cause: err });
    }
    answerCheck ??= TypeCompiler.Compile(HeartbeatResponse);
    if (!answerCheck.Check(answer) || answer.epoch !== ctx.epoch) {
      throw new DeliveryError('collector answer does not match the heartbeat contract', 200, true);
    }
    const sent = new Set(seqs);
    return { acked: new Set(answer.acked.filter((s) => sent.has(s))), duplicates: answer.duplicates };
  }

  stats(): SinkStats {
    return { lostResponses: null };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
