/**
 * The dispatcher: hands the ledger's pending records to each sink and books the answer. It owns what concerns
 * delivery only: the active sinks, each sink's health (failures, last error, counts) and backoff. It never touches
 * the state itself: the ledger claims records (saving whatever must be saved before a send) and books
 * acknowledgements. One delivery round at a time; a tick never waits for one.
 */
import type { Logger } from 'pino';
import type { HostFacts } from '../../protocol/heartbeat.js';
import { pendingFor } from '../outbox/outbox.js';
import { backoffDelay, type BackoffPolicy } from '../sinks/backoff.js';
import { DeliveryError, type DeliveryContext, type Sink } from '../sinks/sink.js';
import { errorMessage, withCode } from '../errors.js';
import type { AgentState } from '../state/agent-state.js';
import type { Ledger } from './ledger.js';

export interface SinkHealth {
  failures: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastSuccessAt: number | null;
  delivered: number;
  duplicates: number;
  attempts: { ok: number; failed: number; rejected: number };
}

export interface DispatcherDeps {
  logger: Logger;
  now: () => number;
  random?: () => number;
  /** Host facts for the heartbeat, when gathered. */
  hostFacts?: () => HostFacts | undefined;
}

export interface DeliverOptions {
  /** Also the sinks that are backing off. */
  force?: boolean;
  /** Rounds until nothing more is ready (at most 20), instead of one. */
  drain?: boolean;
}

function newHealth(): SinkHealth {
  return {
    failures: 0,
    nextAttemptAt: 0,
    lastError: null,
    lastSuccessAt: null,
    delivered: 0,
    duplicates: 0,
    attempts: { ok: 0, failed: 0, rejected: 0 },
  };
}

export class Dispatcher {
  private sinks: Sink[];
  private policy: BackoffPolicy;
  private readonly healthBySink = new Map<string, SinkHealth>();
  private running: Promise<boolean> | null = null;
  private readonly deps: Required<DispatcherDeps>;

  constructor(
    private readonly ledger: Ledger,
    sinks: Sink[],
    policy: BackoffPolicy,
    deps: DispatcherDeps,
  ) {
    this.sinks = sinks;
    this.policy = policy;
    this.deps = { random: Math.random, hostFacts: () => undefined, ...deps };
  }

  get activeSinks(): readonly Sink[] {
    return this.sinks;
  }

  get health(): ReadonlyMap<string, Readonly<SinkHealth>> {
    return this.healthBySink;
  }

  private healthOf(name: string): SinkHealth {
    let h = this.healthBySink.get(name);
    if (!h) {
      h = newHealth();
      this.healthBySink.set(name, h);
    }
    return h;
  }

  /** Swaps the sinks and the backoff policy (SIGHUP); the new sinks may try at once. Returns the old sinks to close. */
  replace(sinks: Sink[], policy: BackoffPolicy): Sink[] {
    const old = this.sinks;
    this.sinks = sinks;
    this.policy = policy;
    for (const s of sinks) this.healthOf(s.name).nextAttemptAt = 0;
    return old;
  }

  /** Records in flight to a non-idempotent sink when the agent last stopped: settled once, by that sink. */
  settleInterrupted(): Promise<void> {
    return this.ledger.settleInterrupted(this.sinks);
  }

  /** The highest seq each sink that is not backing off would take now (the ledger saves it with the sample). */
  plannedThrough(state: AgentState): number {
    let max = 0;
    const now = this.deps.now();
    for (const sink of this.sinks) {
      if (this.healthOf(sink.name).nextAttemptAt > now) continue;
      const batch = pendingFor(state, sink, sink.batchSize);
      if (batch.length > 0) max = Math.max(max, batch[batch.length - 1].seq);
    }
    return max;
  }

  /**
   * One delivery round for every sink that is not backing off (all of them when forced); with `drain`, rounds until
   * nothing more is ready. Returns whether anything is still pending. While a round runs, another call returns false.
   */
  deliver(opts: DeliverOptions = {}): Promise<boolean> {
    if (this.running || !this.ledger.snapshot) return Promise.resolve(false);
    const round = this.rounds(opts).finally(() => {
      this.running = null;
    });
    this.running = round;
    return round;
  }

  /** Resolves once the round in progress, if any, has ended. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined); // its failures were logged by the round itself (failed())
  }

  private async rounds(opts: DeliverOptions): Promise<boolean> {
    let rounds = opts.drain ? 20 : 1;
    let more = false;
    while (rounds-- > 0) {
      more = false;
      for (const sink of this.sinks) more = (await this.deliverTo(sink, opts.force === true)) || more;
      if (!more) break;
    }
    return more;
  }

  private context(epoch: string): DeliveryContext {
    const sampled = this.ledger.lastSample;
    return {
      epoch,
      now: this.deps.now,
      load: sampled.load,
      uptimeSec: sampled.uptimeSec,
      bootId: this.ledger.snapshot?.boot.bootId ?? null,
      host: this.deps.hostFacts(),
    };
  }

  /** Returns whether this sink has more to send right away. */
  private async deliverTo(sink: Sink, force: boolean): Promise<boolean> {
    const h = this.healthOf(sink.name);
    if (!force && h.nextAttemptAt > this.deps.now()) return false;
    const batch = await this.ledger.claim(sink, sink.idempotent ? sink.batchSize : 1);
    const epoch = this.ledger.snapshot?.epoch;
    if (epoch === undefined || (batch.length === 0 && !sink.sendsEmpty)) return false;
    try {
      const res = await sink.deliver(batch, this.context(epoch));
      this.booked(sink, h, res.acked.size, res.duplicates);
      await this.ledger.acknowledge(sink, batch, res.acked, this.sinks);
      const state = this.ledger.snapshot;
      return batch.length >= sink.batchSize || (res.acked.size > 0 && !!state && pendingFor(state, sink, 1).length > 0);
    } catch (err) {
      this.failed(sink, h, err, epoch);
      await this.ledger.release(sink);
      return false;
    }
  }

  private booked(sink: Sink, h: SinkHealth, acked: number, duplicates: number): void {
    h.attempts.ok++;
    if (h.failures > 0)
      this.deps.logger.info(
        { event: 'sink-back', sink: sink.name, after: h.failures },
        `${sink.name}: delivering again`,
      );
    h.failures = 0;
    h.nextAttemptAt = 0;
    h.lastError = null;
    h.lastSuccessAt = this.deps.now();
    h.delivered += acked;
    h.duplicates += duplicates;
  }

  /** A failure backs the sink off; it is logged when it is new (a conflict: every time, at error). */
  private failed(sink: Sink, h: SinkHealth, err: unknown, epoch: string): void {
    const retryable = !(err instanceof DeliveryError) || err.retryable;
    if (retryable) h.attempts.failed++;
    else h.attempts.rejected++;
    h.failures++;
    h.nextAttemptAt = this.deps.now() + backoffDelay(h.failures, this.policy, this.deps.random);
    const message = errorMessage(err);
    const fields = {
      sink: sink.name,
      failures: h.failures,
      pending: this.ledger.snapshot?.outbox.length ?? 0,
      retryInMs: h.nextAttemptAt - this.deps.now(),
    };
    if (err instanceof DeliveryError && err.conflict) {
      const seqs = err.conflict.seqs;
      this.deps.logger.error(
        withCode('RECORD_CONFLICT', { ...fields, epoch, seqs }),
        `${sink.name}: ${message}; epoch ${epoch} seq ${seqs.join(',')} stays queued and is not sent again before the backoff ends`,
      );
    } else if (h.failures === 1 || h.lastError !== message) {
      this.deps.logger.warn(
        withCode(retryable ? 'DELIVERY_FAILED' : 'DELIVERY_REJECTED', fields),
        `${sink.name}: ${message}; records stay queued`,
      );
    }
    h.lastError = message;
  }

  /** Time until the earliest sink that backs off may try again, or null. */
  nextRetryInMs(): number | null {
    let next: number | null = null;
    for (const s of this.sinks) {
      const h = this.healthBySink.get(s.name);
      if (h && h.failures > 0) next = next === null ? h.nextAttemptAt : Math.min(next, h.nextAttemptAt);
    }
    return next === null ? null : Math.max(0, next - this.deps.now());
  }
}
