/**
 * The ledger: the one owner of the agent state. Every change goes through it, one at a time (a serial queue), and
 * every change that must reach the disk before something else may happen is saved here:
 * - a sample is accounted (pure core), the outbox compacted, and the result saved before any sink sees the record;
 * - a record is handed to a sink only once an `attemptedThrough` covering it was saved, and, for a receiver that
 *   cannot recognise a resend, once it was saved as in flight;
 * - acknowledgements move the sink's cursor and prune what every sink is done with.
 * When the disk refuses, counting goes on in memory but nothing new is handed out; a crash then restarts from the
 * last saved counters, which still cover every byte. Readers get a read-only snapshot.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { accountTick, baselineState, type AccountingSettings } from '../accounting/account-tick.js';
import { acknowledge, compact, markAttempted, pendingFor, prune } from '../outbox/outbox.js';
import { errorMessage, withCode } from '../errors.js';
import type { Sink } from '../sinks/sink.js';
import type { LoadAverage } from '../sources/loadavg.js';
import type { AgentState, OutboxRecord, SinkName } from '../state/agent-state.js';
import type { LoadedState, StateStore } from '../state/state-store.js';
import { logAccountingEvent } from './accounting-log.js';
import type { SampleOutcome } from './sampler.js';

export interface LedgerDeps {
  store: StateStore;
  logger: Logger;
  now: () => number;
  newEpoch?: () => string;
}

/** What the last sample saw of the machine besides counters (sent along with heartbeats). */
export interface LastSample {
  load: LoadAverage | null;
  uptimeSec: number;
}

/**
 * The interfaces whose traffic counts. The state keeps a baseline for every interface (so one included later starts
 * from its counter then), but lo and the excluded ones are neither counted nor named in logs and status text.
 */
export function countedInterfaces(state: AgentState | null | undefined, settings: AccountingSettings): string[] {
  return Object.keys(state?.interfaces ?? {}).filter((name) => settings.isSelected(name));
}

/** How a sample is turned into state: the accounting settings, the outbox bound, and what the sinks will take now. */
export interface RecordOptions {
  settings: AccountingSettings;
  maxRecords: number;
  /** The highest seq the sinks would take now, so the tick's save covers it and the send needs no second write. */
  plannedThrough: (state: AgentState) => number;
}

export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

export class Ledger {
  private state: AgentState | null = null;
  /** attemptedThrough as last saved: only records up to it may be handed to a sink. */
  private savedAttemptedThrough = 0;
  private writable = true;
  private sampled: LastSample = { load: null, uptimeSec: 0 };
  private queue: Promise<unknown> = Promise.resolve();
  private readonly deps: Required<LedgerDeps>;

  constructor(deps: LedgerDeps) {
    this.deps = { newEpoch, ...deps };
  }

  /** The state as it is now (null before the first sample). Never change it: go through the ledger's methods. */
  get snapshot(): Readonly<AgentState> | null {
    return this.state;
  }

  /** Whether the last save succeeded. */
  get diskOk(): boolean {
    return this.writable;
  }

  get lastSample(): Readonly<LastSample> {
    return this.sampled;
  }

  /** Runs fn after every change queued before it. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined); // the caller gets the error; the queue goes on
    return run;
  }

  /** Loads the saved state (or the good copy), saying what was recovered or set aside. */
  async open(): Promise<void> {
    const loaded = await this.deps.store.load(this.deps.now());
    this.logLoad(loaded);
    this.state = loaded.state;
    this.savedAttemptedThrough = loaded.state?.attemptedThrough ?? 0;
  }

  private logLoad(loaded: LoadedState): void {
    const { logger, store } = this.deps;
    for (const p of loaded.problems) {
      logger.error(
        withCode('STATE_CORRUPT', { file: p.file, movedTo: p.movedTo, reason: p.reason }),
        `state file ${p.file} is damaged (${p.reason}); set aside as ${p.movedTo}`,
      );
    }
    if (loaded.source === 'backup') {
      logger.warn(
        { event: 'state-recovered', file: store.backupPath },
        `state recovered from the good copy ${store.backupPath}`,
      );
    } else if (loaded.source === 'none' && loaded.problems.length > 0) {
      logger.error(
        { event: 'state-rebaseline' },
        'no usable state file is left: taking a new baseline under a new epoch',
      );
    }
  }

  /** Records that were in flight to a non-idempotent sink when the agent stopped: the sink decides, once. */
  settleInterrupted(sinks: readonly Sink[]): Promise<void> {
    return this.serial(async () => {
      const state = this.state;
      if (!state?.inFlight || Object.keys(state.inFlight).length === 0) return;
      let cursors = state.cursors;
      for (const [name, seq] of Object.entries(state.inFlight)) {
        const sink = sinks.find((s) => s.name === name);
        const record = state.outbox.find((r) => r.seq === seq);
        if (!sink?.interrupted || !record || (cursors[name] ?? 0) >= seq) continue;
        if (sink.interrupted(record)) cursors = { ...cursors, [name]: seq };
      }
      this.state = prune({ ...state, cursors, inFlight: {} }, sinks);
      await this.save();
    });
  }

  /** Accounts a sample (the first one is the baseline), compacts the outbox and saves. */
  record(outcome: SampleOutcome, opts: RecordOptions): Promise<void> {
    return this.serial(async () => {
      this.sampled = { load: outcome.load, uptimeSec: outcome.sample.uptimeSec ?? 0 };
      let state: AgentState;
      if (!this.state) {
        state = baselineState(outcome.sample, this.deps.newEpoch(), opts.settings);
        this.deps.logger.info(
          { event: 'baseline', epoch: state.epoch, interfaces: countedInterfaces(state, opts.settings) },
          'first run: counters taken as the baseline; nothing from before counts',
        );
      } else {
        const res = accountTick(this.state, outcome.sample, opts.settings);
        for (const e of res.events) logAccountingEvent(this.deps.logger, e);
        state = compact(res.state, opts.maxRecords, opts.settings.maxUsersPerRecord);
      }
      this.state = markAttempted(state, opts.plannedThrough(state));
      await this.save();
    });
  }

  /**
   * The records `sink` may be handed now (at most `limit`): covered by a saved attemptedThrough and, for a sink that
   * cannot recognise a resend, saved as in flight. Empty when the disk refuses the save that would cover them.
   */
  claim(sink: Sink, limit: number): Promise<OutboxRecord[]> {
    return this.serial(async () => {
      const state = this.state;
      if (!state) return [];
      const natural = pendingFor(state, sink, limit);
      const top = natural.length > 0 ? natural[natural.length - 1].seq : 0;
      const markInFlight = !sink.idempotent && top > 0;
      if (top > this.savedAttemptedThrough || markInFlight) {
        let next = markAttempted(state, top);
        if (markInFlight) next = { ...next, inFlight: { ...next.inFlight, [sink.name]: top } };
        this.state = next;
        if (!(await this.save())) return [];
      }
      return natural.filter((r) => r.seq <= this.savedAttemptedThrough);
    });
  }

  /**
   * The receiver acknowledged `acked` of `batch`: the sink's cursor moves, what every active sink is done with is
   * pruned, and a record in flight to a non-idempotent sink is settled in a save right away.
   */
  acknowledge(
    sink: Sink,
    batch: readonly OutboxRecord[],
    acked: ReadonlySet<number>,
    active: readonly Sink[],
  ): Promise<void> {
    return this.serial(async () => {
      if (!this.state) return;
      let state = prune(acknowledge(this.state, sink.name, batch, acked), active);
      state = { ...state, lastDelivery: { ...state.lastDelivery, [sink.name]: this.deps.now() } };
      this.state = state;
      await this.releaseInFlight(sink);
    });
  }

  /** A delivery to a non-idempotent sink failed: the record is no longer in flight (it is offered again). */
  release(sink: Sink): Promise<void> {
    return this.serial(() => this.releaseInFlight(sink));
  }

  private async releaseInFlight(sink: Sink): Promise<void> {
    if (sink.idempotent || !this.state?.inFlight?.[sink.name]) return;
    const { [sink.name as SinkName]: _done, ...rest } = this.state.inFlight;
    this.state = { ...this.state, inFlight: rest };
    await this.save();
  }

  /** Saves acknowledgements and anything else changed since the last save. */
  flush(): Promise<boolean> {
    return this.serial(() => this.save());
  }

  private async save(): Promise<boolean> {
    const state = this.state;
    if (!state) return false;
    const { store, logger } = this.deps;
    try {
      await store.save(state);
      this.savedAttemptedThrough = state.attemptedThrough;
      if (!this.writable)
        logger.warn({ event: 'state-write-recovered', dir: store.dir }, `state is written again in ${store.dir}`);
      this.writable = true;
      return true;
    } catch (err) {
      const message = errorMessage(err);
      if (this.writable) {
        logger.error(
          withCode('STATE_WRITE_FAILED', { dir: store.dir, err: message }),
          `${message}; counting goes on in memory and nothing new is sent until the disk takes writes again`,
        );
      }
      this.writable = false;
      return false;
    }
  }
}
