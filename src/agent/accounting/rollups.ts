/**
 * Bounded local rollups of the counted traffic, vnStat style: per local hour for 48 hours, per local day for 62 days,
 * per local month for 24 months, and the 10 biggest days ever. Pure: the instant and the time zone are passed in.
 *
 * A tick's bytes are booked in the buckets of the tick's time (its end). Buckets never go back in time: a wall clock
 * that steps backwards books into the newest bucket, so no byte ever lands in a bucket that was already evicted and
 * the buckets of each kind always sum to the totals counted since the rollups began.
 */
import { localParts } from '../../common/calendar.js';
import type { Rollups } from '../state/rollups-shape.js';

export type { Rollups };

export const ROLLUP_LIMITS = Object.freeze({ hours: 48, days: 62, months: 24, top: 10 });

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Empty rollups starting at `at`, with the totals counted before then (zero on a first run). */
export function startRollups(at: number, before: { rx: string; tx: string } = { rx: '0', tx: '0' }): Rollups {
  return { since: at, before: { rx: before.rx, tx: before.tx }, hours: [], days: [], months: [], top: [] };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** The local hour start (unix ms), local date and local month of an instant. */
export function bucketKeys(at: number, timeZone: string): { hour: number; day: string; month: string } {
  const p = localParts(at, timeZone);
  const month = `${p.year}-${pad2(p.month)}`;
  return {
    hour: at - ((p.minute * 60 + p.second) * 1000 + (((at % 1000) + 1000) % 1000)),
    day: `${month}-${pad2(p.day)}`,
    month,
  };
}

/** The local date `n` days before `day` (calendar arithmetic on the date alone). */
export function daysBefore(day: string, n: number): string {
  const d = new Date(Date.parse(`${day}T00:00:00Z`) - n * DAY_MS);
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** The local month `n` months before `month`. */
export function monthsBefore(month: string, n: number): string {
  const total = Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1 - n;
  return `${Math.floor(total / 12)}-${pad2((total % 12) + 1)}`;
}

type Bucket<K> = [K, string, string];

/**
 * Adds to the bucket `key` (or the newest one when `key` is older: time never runs backwards here). Returns the new
 * list and whether a bucket was appended (the caller then drops what fell out of the window).
 */
function addTo<K extends number | string>(
  list: readonly Bucket<K>[],
  key: K,
  rx: bigint,
  tx: bigint,
): { list: Bucket<K>[]; appended: boolean; bucket: Bucket<K> } {
  const last = list.length > 0 ? list[list.length - 1] : undefined;
  if (last && key <= last[0]) {
    const bucket: Bucket<K> = [last[0], (BigInt(last[1]) + rx).toString(), (BigInt(last[2]) + tx).toString()];
    const out = list.slice();
    out[out.length - 1] = bucket;
    return { list: out, appended: false, bucket };
  }
  const bucket: Bucket<K> = [key, rx.toString(), tx.toString()];
  return { list: [...list, bucket], appended: true, bucket };
}

const totalOf = (b: Bucket<string>) => BigInt(b[1]) + BigInt(b[2]);

interface RankedDay {
  total: bigint;
  bucket: Bucket<string>;
}

/** Biggest total first, the earlier date first on a tie. */
function byTotalThenDate(a: RankedDay, b: RankedDay): number {
  if (a.total !== b.total) return b.total > a.total ? 1 : -1;
  return a.bucket[0] < b.bucket[0] ? -1 : a.bucket[0] > b.bucket[0] ? 1 : 0;
}

/**
 * The day's bucket placed among the biggest days: biggest first, the earlier date first on a tie, at most 10. Runs
 * every tick with traffic: a day outside a full list and no bigger than its smallest returns at once, and otherwise
 * each day's total is worked out once, not at every comparison of the sort.
 */
function updateTop(top: readonly Bucket<string>[], day: Bucket<string>): Bucket<string>[] {
  const dayTotal = totalOf(day);
  const listed = top.some((b) => b[0] === day[0]);
  if (!listed && top.length >= ROLLUP_LIMITS.top && dayTotal <= totalOf(top[top.length - 1]))
    return top as Bucket<string>[];
  const ranked: RankedDay[] = top.filter((b) => b[0] !== day[0]).map((b) => ({ total: totalOf(b), bucket: b }));
  ranked.push({ total: dayTotal, bucket: day });
  ranked.sort(byTotalThenDate);
  return ranked.slice(0, ROLLUP_LIMITS.top).map((r) => r.bucket);
}

/** Books `rx`/`tx` bytes counted by the tick that ended at `at`. Returns `r` itself when there is nothing to book. */
export function rollUp(r: Rollups, at: number, rx: bigint, tx: bigint, timeZone: string): Rollups {
  if (rx === 0n && tx === 0n) return r;
  const keys = bucketKeys(at, timeZone);
  const h = addTo(r.hours, keys.hour, rx, tx);
  const d = addTo(r.days, keys.day, rx, tx);
  const m = addTo(r.months, keys.month, rx, tx);
  let hours = h.list;
  let days = d.list;
  let months = m.list;
  if (h.appended) {
    const oldest = h.bucket[0] - (ROLLUP_LIMITS.hours - 1) * HOUR_MS;
    hours = hours.filter((b) => b[0] >= oldest).slice(-ROLLUP_LIMITS.hours);
  }
  if (d.appended) {
    const oldest = daysBefore(d.bucket[0], ROLLUP_LIMITS.days - 1);
    days = days.filter((b) => b[0] >= oldest).slice(-ROLLUP_LIMITS.days);
  }
  if (m.appended) {
    const oldest = monthsBefore(m.bucket[0], ROLLUP_LIMITS.months - 1);
    months = months.filter((b) => b[0] >= oldest).slice(-ROLLUP_LIMITS.months);
  }
  return { ...r, hours, days, months, top: updateTop(r.top, d.bucket) };
}
