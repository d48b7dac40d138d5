/**
 * The pure part of a heartbeat ingest, shared by both engines: which records are fresh, what the node's totals and
 * period counters become, and what goes into the hourly rollup. No I/O, no clock.
 */
import { nextPeriodStart, periodStart } from '../../common/calendar.js';
import { recordDigest } from '../../protocol/record-digest.js';
import { MAX_SEQ_AHEAD } from '../../protocol/seq-bound.js';
import { CollectorError } from '../errors.js';
import { STORE_MAX, type IngestRecord, type NodeStats, type RecordConflict, type Traffic } from './store.js';

export const HOUR_MS = 3_600_000;

/** What one node's ingest reads and writes: its counters, its period, and the high-water seq of the epoch. */
export interface Ledger
  extends Pick<
    NodeStats,
    'totalRx' | 'totalTx' | 'periodRx' | 'periodTx' | 'periodStart' | 'periodEnd' | 'resetDay' | 'timezone'
  > {
  /** Highest seq stored for this (node, epoch); 0 when none. */
  highWater: number;
  /** Seqs at or under this have no digest any more (pruned, or stored before digests existed); 0 when none. */
  unverifiableThrough: number;
}

/** A fresh record with the digest that is stored with it. */
export type DigestedRecord = IngestRecord & { digest: bigint };

/**
 * What the store holds for seqs at or under the high-water seq: the digest, null for a record stored without one
 * (before digests existed), absent when it holds no row for the seq.
 */
export type HeldDigests = ReadonlyMap<number, bigint | null>;

export interface IngestPlan {
  fresh: DigestedRecord[];
  acked: number[];
  duplicates: number;
  unverified: number;
  conflict: RecordConflict | undefined;
  ledger: Ledger;
  /** hour start (ms) -> bytes to add. */
  hours: Map<number, Traffic>;
}

export function hourOf(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/**
 * How far ahead of the collector's clock a record's `to` may lie and still be taken as its time. A node that ticks
 * before NTP fixed its clock can date a record years ahead; trusted as is, such a record would move the node's
 * billing period into the future and leave every correctly dated record after it out of the period.
 */
export const MAX_CLOCK_AHEAD_MS = 10 * 60_000;

/** The seqs of a heartbeat whose held digest planIngest needs: those at or under the high-water seq. */
export function seqsToCompare(before: Ledger, records: readonly IngestRecord[]): number[] {
  return records.filter((r) => r.seq <= before.highWater).map((r) => r.seq);
}

/**
 * Plans one heartbeat. Records up to the first conflict are applied (fresh ones) or acknowledged (duplicates); the
 * conflicting record and every later one are left out, so `acked` stays a prefix of the request and the agent keeps
 * the rest. `held` answers for every seq of seqsToCompare().
 */
export function planIngest(
  before: Ledger,
  records: readonly IngestRecord[],
  receivedAt: number,
  held: HeldDigests,
): IngestPlan {
  const l: Ledger = { ...before };
  const fresh: DigestedRecord[] = [];
  const acked: number[] = [];
  const hours = new Map<number, Traffic>();
  let duplicates = 0;
  let unverified = 0;
  let conflict: RecordConflict | undefined;
  for (const r of records) {
    const digest = recordDigest(r);
    if (r.seq <= before.highWater) {
      const h = held.get(r.seq);
      if (h === undefined && r.seq > before.unverifiableThrough) conflict = { seq: r.seq, reason: 'not-held' };
      else if (h !== undefined && h !== null && h !== digest) conflict = { seq: r.seq, reason: 'different-contents' };
      if (conflict) break;
      if (h === undefined || h === null) unverified++;
      acked.push(r.seq);
      duplicates++;
      continue;
    }
    if (before.highWater > 0 && r.seq > before.highWater + MAX_SEQ_AHEAD)
      throw new CollectorError(
        'TC_SEQ_TOO_FAR_AHEAD',
        `seq ${r.seq} is more than ${MAX_SEQ_AHEAD} above ${before.highWater}, the highest stored of epoch`,
      );
    acked.push(r.seq);
    fresh.push({ ...r, digest });
    l.highWater = r.seq;
    l.totalRx += r.rx;
    l.totalTx += r.tx;
    // The record's own time decides its period and hour, but never further ahead than the collector's clock allows.
    const at = Math.min(r.to, receivedAt + MAX_CLOCK_AHEAD_MS);
    if (at >= l.periodEnd) {
      l.periodStart = periodStart(at, l.resetDay, l.timezone);
      l.periodEnd = nextPeriodStart(l.periodStart, l.resetDay, l.timezone);
      l.periodRx = 0n;
      l.periodTx = 0n;
    }
    if (at >= l.periodStart) {
      l.periodRx += r.rx;
      l.periodTx += r.tx;
    }
    const h = hourOf(at);
    const cur = hours.get(h);
    if (cur) {
      cur.rx += r.rx;
      cur.tx += r.tx;
    } else hours.set(h, { rx: r.rx, tx: r.tx });
  }
  if (l.totalRx > STORE_MAX || l.totalTx > STORE_MAX) throw new CollectorError('TC_COUNTER_OVERFLOW', 'node total');
  return { fresh, acked, duplicates, unverified, conflict, ledger: l, hours };
}

/** The first period of a node created (or reset) at `at`. */
export function initialPeriod(at: number, resetDay: number, timezone: string): { start: number; end: number } {
  const start = periodStart(at, resetDay, timezone);
  return { start, end: nextPeriodStart(start, resetDay, timezone) };
}

/** Period counters as of `now`: when the stored period has ended with no record since, a new one began at zero. */
export function effectivePeriod(s: NodeStats, now: number): { start: number; end: number; rx: bigint; tx: bigint } {
  if (now < s.periodEnd) return { start: s.periodStart, end: s.periodEnd, rx: s.periodRx, tx: s.periodTx };
  const p = initialPeriod(now, s.resetDay, s.timezone);
  return { start: p.start, end: p.end, rx: 0n, tx: 0n };
}
