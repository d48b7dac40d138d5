/**
 * One simulated agent for load runs: it speaks the heartbeat contract (src/protocol/heartbeat.ts) and the keyed
 * per-user push (src/protocol/uniproxy.ts) as the real agent does: records with an epoch and ascending seqs, kept
 * until acknowledged and resent unchanged on failure, one push per record with its Idempotency-Key. It knows what it
 * generated (its ground truth) and can deliberately resend an acknowledged record to exercise the collector's dedup.
 */
import type { Dispatcher } from 'undici';
import { request } from 'undici';
import {
  HEARTBEAT_PATH,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type TrafficRecord,
} from '../protocol/heartbeat.js';
import { IDEMPOTENCY_HEADER, MEASURED_AT_HEADER, UNIPROXY_PUSH_PATH, idempotencyKey } from '../protocol/uniproxy.js';
import type { Rng } from './rng.js';

export interface SimNode {
  id: number;
  token: string;
}

export interface SimRecord extends TrafficRecord {
  users: Record<string, [number, number]>;
}

export interface BeatOutcome {
  ok: boolean;
  latencyMs: number;
  duplicates: number;
  error?: string;
}

export interface SimAgentOptions {
  baseUrl: string;
  dispatcher: Dispatcher;
  rng: Rng;
  /** Users per node, with ids 1..users. */
  users: number;
  /** Chance that a heartbeat also resends an already acknowledged record. */
  resendChance: number;
  timeoutMs: number;
}

export class SimAgent {
  readonly epoch: string;
  private nextSeq = 1;
  private pending: SimRecord[] = [];
  private pendingPush: SimRecord[] = [];
  private lastAcked: SimRecord | null = null;
  readonly truth = { rx: 0n, tx: 0n };
  readonly userTruth = new Map<number, { u: bigint; d: bigint }>();
  resent = 0;

  constructor(
    readonly node: SimNode,
    private readonly opts: SimAgentOptions,
  ) {
    this.epoch = Array.from({ length: 16 }, () => opts.rng.int(0, 15).toString(16)).join('');
  }

  /** Counts a new interval of traffic into a record (the agent's tick). */
  tick(now: number): void {
    const { rng } = this.opts;
    const rx = rng.int(0, 50_000_000);
    const tx = rng.int(0, 20_000_000);
    const users: Record<string, [number, number]> = {};
    for (let u = 1; u <= this.opts.users; u++) {
      if (!rng.chance(0.6)) continue;
      const up = rng.int(1, 1_000_000);
      const down = rng.int(1, 5_000_000);
      users[String(u)] = [up, down];
      const t = this.userTruth.get(u) ?? { u: 0n, d: 0n };
      this.userTruth.set(u, { u: t.u + BigInt(up), d: t.d + BigInt(down) });
    }
    this.truth.rx += BigInt(rx);
    this.truth.tx += BigInt(tx);
    const r: SimRecord = { seq: this.nextSeq++, from: now - 60_000, to: now, rx: String(rx), tx: String(tx), users };
    this.pending.push(r);
    if (Object.keys(users).length > 0) this.pendingPush.push(r);
  }

  get backlog(): number {
    return this.pending.length + this.pendingPush.length;
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', authorization: `Bearer ${this.node.token}` };
  }

  /** Sends every pending record (plus, sometimes, an acknowledged one again) in one heartbeat. */
  async heartbeat(now: number): Promise<BeatOutcome> {
    const records: TrafficRecord[] = this.pending.slice(0, 500).map(({ users: _u, ...r }) => r);
    if (this.lastAcked && this.opts.rng.chance(this.opts.resendChance) && records.length < 500) {
      const { users: _u, ...again } = this.lastAcked;
      if (!records.some((r) => r.seq === again.seq)) {
        records.unshift(again);
        records.sort((a, b) => a.seq - b.seq);
        this.resent++;
      }
    }
    const body: HeartbeatRequest = {
      epoch: this.epoch,
      records,
      load: [0.1, 0.1, 0.1],
      uptimeSec: 1000,
      bootId: null,
      agentVersion: 'loadgen',
      sentAt: now,
    };
    const t0 = performance.now();
    try {
      const res = await request(new URL(HEARTBEAT_PATH, this.opts.baseUrl), {
        method: 'POST',
        dispatcher: this.opts.dispatcher,
        headers: this.headers(),
        body: JSON.stringify(body),
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      const text = await res.body.text();
      const latencyMs = performance.now() - t0;
      if (res.statusCode !== 200)
        return { ok: false, latencyMs, duplicates: 0, error: `heartbeat ${res.statusCode}: ${text.slice(0, 200)}` };
      const answer = JSON.parse(text) as HeartbeatResponse;
      const acked = new Set(answer.acked);
      const done = this.pending.filter((r) => acked.has(r.seq));
      if (done.length > 0) this.lastAcked = done[done.length - 1];
      this.pending = this.pending.filter((r) => !acked.has(r.seq));
      return { ok: true, latencyMs, duplicates: answer.duplicates };
    } catch (err) {
      return {
        ok: false,
        latencyMs: performance.now() - t0,
        duplicates: 0,
        error: `heartbeat: ${(err as Error).message}`,
      };
    }
  }

  /** Pushes the pending per-user records one by one, in order, each with its key; stops at the first failure. */
  async push(): Promise<BeatOutcome> {
    const t0 = performance.now();
    const url = new URL(`${UNIPROXY_PUSH_PATH}?node_id=${this.node.id}&node_type=vmess`, this.opts.baseUrl);
    while (this.pendingPush.length > 0) {
      const r = this.pendingPush[0];
      try {
        const res = await request(url, {
          method: 'POST',
          dispatcher: this.opts.dispatcher,
          body: JSON.stringify(r.users),
          headers: {
            ...this.headers(),
            [IDEMPOTENCY_HEADER]: idempotencyKey(this.node.id, this.epoch, r.seq),
            [MEASURED_AT_HEADER]: String(r.to),
          },
          headersTimeout: this.opts.timeoutMs,
          bodyTimeout: this.opts.timeoutMs,
        });
        const text = await res.body.text();
        if (res.statusCode !== 200)
          return {
            ok: false,
            latencyMs: performance.now() - t0,
            duplicates: 0,
            error: `push ${res.statusCode}: ${text.slice(0, 200)}`,
          };
      } catch (err) {
        return {
          ok: false,
          latencyMs: performance.now() - t0,
          duplicates: 0,
          error: `push: ${(err as Error).message}`,
        };
      }
      this.pendingPush.shift();
    }
    return { ok: true, latencyMs: performance.now() - t0, duplicates: 0 };
  }
}
