/**
 * The agent's working parts wired together: sample -> account (pure) -> persist -> deliver -> acknowledge.
 * `once` runs one round of it; the daemon runs it on a timer. Every state change goes through here, one at a time.
 *
 * The order that keeps the promise: a record reaches a sink only after the state holding it, and an
 * `attemptedThrough` covering it, were saved. When the disk refuses, counting goes on in memory but nothing new is
 * sent; a crash then restarts from the last saved counters, which still cover every byte.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  accountTick,
  baselineState,
  type AccountingEvent,
  type AccountingSettings,
} from '../accounting/account-tick.js';
import type { AgentConfig } from '../config/schema.js';
import { compact, markAttempted, pendingFor, prune, acknowledge } from '../outbox/outbox.js';
import { backoffDelay, type BackoffPolicy } from '../sinks/backoff.js';
import { DeliveryError, type Sink } from '../sinks/sink.js';
import type { AgentState } from '../state/agent-state.js';
import type { StateStore } from '../state/state-store.js';
import type { SampleOutcome } from './sampler.js';
import { errorMessage, withCode } from '../errors.js';

export interface RuntimeDeps {
  store: StateStore;
  logger: Logger;
  now: () => number;
  random?: () => number;
  newEpoch?: () => string;
}

export interface SinkHealth {
  failures: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastSuccessAt: number | null;
  delivered: number;
  duplicates: number;
  attempts: { ok: number; failed: number; rejected: number };
}

export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

export class AgentRuntime {
  private cfg: AgentConfig;
  private settings: AccountingSettings;
  private sinks: Sink[];
  private readonly deps: Required<RuntimeDeps>;
  state: AgentState | null = null;
  /** attemptedThrough as last saved: only records up to it may be handed to a sink. */
  private savedAttemptedThrough = 0;
  diskOk = true;
  lastLoad: [number, number, number] | null = null;
  lastUptimeSec = 0;
  readonly health = new Map<string, SinkHealth>();
  private queue: Promise<unknown> = Promise.resolve();
  private delivering = false;

  constructor(cfg: AgentConfig, settings: AccountingSettings, sinks: Sink[], deps: RuntimeDeps) {
    this.cfg = cfg;
    this.settings = settings;
    this.sinks = sinks;
    this.deps = { random: Math.random, newEpoch, ...deps };
  }

  get config(): AgentConfig {
    return this.cfg;
  }

  get activeSinks(): readonly Sink[] {
    return this.sinks;
  }

  /** Runs fn after every state change queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    // The caller gets run's rejection; the queue only keeps the order, so one failed step must not block the next.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private healthOf(name: string): SinkHealth {
    let h = this.health.get(name);
    if (!h) {
      h = {
        failures: 0,
        nextAttemptAt: 0,
        lastError: null,
        lastSuccessAt: null,
        delivered: 0,
        duplicates: 0,
        attempts: { ok: 0, failed: 0, rejected: 0 },
      };
      this.health.set(name, h);
    }
    return h;
  }

  /** Swaps config, settings and sinks (SIGHUP); the state and the outbox stay. Old sinks are closed by the caller. */
  reconfigure(cfg: AgentConfig, settings: AccountingSettings, sinks: Sink[]): Sink[] {
    const old = this.sinks;
    this.cfg = cfg;
    this.settings = settings;
    this.sinks = sinks;
    for (const s of sinks) this.healthOf(s.name).nextAttemptAt = 0;
    return old;
  }

  async open(): Promise<void> {
    const loaded = await this.deps.store.load(this.deps.now());
    for (const p of loaded.problems) {
      this.deps.logger.error(
        withCode('STATE_CORRUPT', { file: p.file, movedTo: p.movedTo, reason: p.reason }),
        `state file ${p.file} is damaged (${p.reason}); set aside as ${p.movedTo}`,
      );
    }
    if (loaded.source === 'backup') {
      this.deps.logger.warn(
        { event: 'state-recovered', file: this.deps.store.backupPath },
        `state recovered from the good copy ${this.deps.store.backupPath}`,
      );
    } else if (loaded.source === 'none' && loaded.problems.length > 0) {
      this.deps.logger.error(
        { event: 'state-rebaseline' },
        'no usable state file is left: taking a new baseline under a new epoch',
      );
    }
    this.state = loaded.state;
    this.savedAttemptedThrough = loaded.state?.attemptedThrough ?? 0;
    await this.settleInterrupted();
  }

  /** Records that were in flight to a non-idempotent sink when the agent stopped: the sink decides, once. */
  private async settleInterrupted(): Promise<void> {
    const state = this.state;
    if (!state?.inFlight || Object.keys(state.inFlight).length === 0) return;
    let cursors = state.cursors;
    for (const [name, seq] of Object.entries(state.inFlight)) {
      const sink = this.sinks.find((s) => s.name === name);
      const record = state.outbox.find((r) => r.seq === seq);
      if (!sink?.interrupted || !record || (cursors[name] ?? 0) >= seq) continue;
      if (sink.interrupted(record)) cursors = { ...cursors, [name]: seq };
    }
    this.state = prune({ ...state, cursors, inFlight: {} }, this.sinks);
    await this.save();
  }

  private async save(): Promise<boolean> {
    const state = this.state;
    if (!state) return false;
    try {
      await this.deps.store.save(state);
      this.savedAttemptedThrough = state.attemptedThrough;
      if (!this.diskOk)
        this.deps.logger.warn(
          { event: 'state-write-recovered', dir: this.deps.store.dir },
          `state is written again in ${this.deps.store.dir}`,
        );
      this.diskOk = true;
      return true;
    } catch (err) {
      if (this.diskOk) {
        this.deps.logger.error(
          withCode('STATE_WRITE_FAILED', { dir: this.deps.store.dir, err: errorMessage(err) }),
          `${errorMessage(err)}; counting goes on in memory and nothing new is sent until the disk takes writes again`,
        );
      }
      this.diskOk = false;
      return false;
    }
  }

  private logEvent(e: AccountingEvent): void {
    const log = this.deps.logger;
    switch (e.type) {
      case 'reboot':
        log.warn({ event: 'reboot-detected', ...e }, 'reboot detected: counters since boot count');
        break;
      case 'reset':
        log.warn(
          { event: 'reset-detected', ...e },
          `counter reset on ${e.iface} (${e.direction}): the new value counts`,
        );
        break;
      case 'wrap':
        log.info({ event: 'wrap-detected', ...e }, `32-bit counter wrap on ${e.iface} (${e.direction})`);
        break;
      case 'suspicious':
        log.warn(
          { event: 'suspicious-increase', ...e },
          `increase on ${e.iface} (${e.direction}) beyond maxRateBitsPerSec; counted`,
        );
        break;
      case 'implausible':
        log.error(
          { event: 'implausible-counter', ...e },
          `counter of ${e.iface} (${e.direction}) moved by 2^62 bytes or more: a broken counter, not traffic; nothing counted, the new value is the baseline`,
        );
        break;
      case 'new-interface':
        log.info({ event: 'interface-new', ...e }, `interface ${e.iface} appeared; counted from zero`);
        break;
      case 'interface-gone':
        log.info({ event: 'interface-gone', ...e }, `interface ${e.iface} disappeared; its last counters are kept`);
        break;
      case 'interface-back':
        log.info({ event: 'interface-back', ...e }, `interface ${e.iface} is back`);
        break;
      case 'period-start':
        log.info({ event: 'period-start', start: new Date(e.start).toISOString() }, 'a new billing period started');
        break;
      case 'proxy-restart':
        log.warn({ event: 'proxy-restart-detected' }, 'the proxy core restarted: its counters count from zero');
        break;
      case 'proxy-baseline':
        log.info({ event: 'proxy-baseline' }, 'per-user counters: baseline taken');
        break;
      case 'user-reset':
        log.info({ event: 'user-reset', email: e.email }, 'a user counter went down: the new value counts');
        break;
      case 'user-unmatched':
        log.warn(
          { event: 'user-unmatched', email: e.email },
          'a user email does not match userTraffic.emailPattern; its traffic is not attributed',
        );
        break;
    }
  }

  /** The highest seq each ready sink would take now, so the tick's save can cover it and the send needs no second write. */
  private plannedAttempt(force: boolean): number {
    const state = this.state;
    if (!state) return 0;
    let max = 0;
    const now = this.deps.now();
    for (const sink of this.sinks) {
      if (!force && this.healthOf(sink.name).nextAttemptAt > now) continue;
      const batch = pendingFor(state, sink, sink.batchLimit);
      if (batch.length > 0) max = Math.max(max, batch[batch.length - 1].seq);
    }
    return max;
  }

  /** Sample, account and save. Returns what was sampled (for load and problems) and the record made, if any. */
  tick(readSample: () => Promise<SampleOutcome>): Promise<SampleOutcome> {
    return this.serial(async () => {
      const outcome = await readSample();
      for (const p of outcome.problems) this.deps.logger.warn(withCode(p.code, { details: p.details }), p.message);
      this.lastLoad = outcome.load;
      this.lastUptimeSec = outcome.sample.uptimeSec ?? 0;
      if (!this.state) {
        this.state = baselineState(outcome.sample, this.deps.newEpoch(), this.settings);
        this.deps.logger.info(
          { event: 'baseline', epoch: this.state.epoch, interfaces: Object.keys(this.state.interfaces) },
          'first run: counters taken as the baseline; nothing from before counts',
        );
      } else {
        const res = accountTick(this.state, outcome.sample, this.settings);
        for (const e of res.events) this.logEvent(e);
        this.state = compact(res.state, this.cfg.outbox.maxRecords);
      }
      this.state = markAttempted(this.state, this.plannedAttempt(false));
      await this.save();
      return outcome;
    });
  }

  /** One delivery round for every sink that is not backing off (all of them when forced). Returns whether anything is still pending. */
  async deliver(opts: { force?: boolean; drain?: boolean } = {}): Promise<boolean> {
    if (this.delivering || !this.state) return false;
    this.delivering = true;
    try {
      let rounds = opts.drain ? 20 : 1;
      let more = false;
      while (rounds-- > 0) {
        more = false;
        for (const sink of this.sinks) {
          const again = await this.deliverTo(sink, opts.force === true);
          more = more || again;
        }
        if (!more) break;
      }
      return more;
    } finally {
      this.delivering = false;
    }
  }

  private async deliverTo(sink: Sink, force: boolean): Promise<boolean> {
    const h = this.healthOf(sink.name);
    if (!force && h.nextAttemptAt > this.deps.now()) return false;
    // Make sure everything we are about to hand over is covered by a saved attemptedThrough, and, for a receiver that
    // cannot recognise a resend, that the one record in flight is saved as such.
    const wanted = await this.serial(async () => {
      const state = this.state!;
      const natural = pendingFor(state, sink, sink.idempotent ? sink.batchLimit : 1);
      const top = natural.length > 0 ? natural[natural.length - 1].seq : 0;
      const markInFlight = !sink.idempotent && top > 0;
      if (top > this.savedAttemptedThrough || markInFlight) {
        this.state = markAttempted(state, top);
        if (markInFlight) this.state = { ...this.state, inFlight: { ...this.state.inFlight, [sink.name]: top } };
        if (!(await this.save())) return [];
      }
      return natural.filter((r) => r.seq <= this.savedAttemptedThrough);
    });
    if (wanted.length === 0 && !sink.sendsEmpty) return false;
    const settleInFlight = async () => {
      if (sink.idempotent || !this.state?.inFlight?.[sink.name]) return;
      const { [sink.name]: _done, ...rest } = this.state.inFlight;
      this.state = { ...this.state, inFlight: rest };
      await this.save();
    };
    const epoch = this.state!.epoch;
    try {
      const res = await sink.deliver(wanted, { epoch, now: this.deps.now });
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
      h.delivered += res.acked.size;
      h.duplicates += res.duplicates;
      await this.serial(async () => {
        let state = acknowledge(this.state!, sink.name, wanted, res.acked);
        state = prune(state, this.sinks);
        this.state = { ...state, lastDelivery: { ...state.lastDelivery, [sink.name]: this.deps.now() } };
        await settleInFlight();
      });
      return wanted.length >= sink.batchLimit || (res.acked.size > 0 && pendingFor(this.state!, sink, 1).length > 0);
    } catch (err) {
      const retryable = !(err instanceof DeliveryError) || err.retryable;
      if (retryable) h.attempts.failed++;
      else h.attempts.rejected++;
      h.failures++;
      const policy = this.backoffPolicy();
      h.nextAttemptAt = this.deps.now() + backoffDelay(h.failures, policy, this.deps.random);
      const message = errorMessage(err);
      if (h.failures === 1 || h.lastError !== message) {
        this.deps.logger.warn(
          withCode(retryable ? 'DELIVERY_FAILED' : 'DELIVERY_REJECTED', {
            sink: sink.name,
            failures: h.failures,
            pending: this.state!.outbox.length,
            retryInMs: h.nextAttemptAt - this.deps.now(),
          }),
          `${sink.name}: ${message}; records stay queued`,
        );
      }
      h.lastError = message;
      await this.serial(settleInFlight);
      return false;
    }
  }

  backoffPolicy(): BackoffPolicy {
    const intervalMs = this.cfg.heartbeatIntervalSec * 1000;
    return { baseMs: Math.min(1000, intervalMs), capMs: Math.max(1000, Math.min(300_000, intervalMs * 10)) };
  }

  /** Saves acknowledgements and anything else changed since the last save. */
  flush(): Promise<boolean> {
    return this.serial(() => this.save());
  }

  /** Time until the earliest sink that backs off may try again, or null. */
  nextRetryInMs(): number | null {
    let next: number | null = null;
    for (const s of this.sinks) {
      const h = this.health.get(s.name);
      if (h && h.failures > 0) next = next === null ? h.nextAttemptAt : Math.min(next, h.nextAttemptAt);
    }
    return next === null ? null : Math.max(0, next - this.deps.now());
  }
}
