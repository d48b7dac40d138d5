/**
 * Quota arithmetic, pure: no clock, no database. Byte counts are bigint and every comparison is exact (no float ever
 * touches a byte count). Callers pass the stored numbers (period counters, hourly rollups) and "now".
 *
 * - A measure turns one period's traffic into the billed bytes: rx, tx, sum (rx + tx) or max (the larger direction
 *   of the period's totals: the "main-direction" rule). A pool is billed as one account: its rx and tx are the sums of
 *   its nodes' rx and tx, and the measure applies to those sums.
 * - A period is the node's (or pool's) billing period (reset day + time zone, src/common/calendar.ts) or a custom
 *   cycle of N days from a start instant.
 * - The projection extrapolates the average rate of a window (the last 24 hours, and the period so far) to the time
 *   the limit is reached, or null when that falls at or after the period's end ("not in this period").
 */
import { nextPeriodStart, periodStart } from '../../common/calendar.js';

export type Measure = 'rx' | 'tx' | 'sum' | 'max';
export const MEASURES: readonly Measure[] = ['rx', 'tx', 'sum', 'max'];

export interface Traffic {
  rx: bigint;
  tx: bigint;
}
export interface Point extends Traffic {
  /** Start of the hour (or any instant) the bytes are booked at, unix ms. */
  at: number;
}
export interface Period {
  start: number;
  end: number;
}

export const DAY_MS = 86_400_000;

export function measure(t: Traffic, m: Measure): bigint {
  switch (m) {
    case 'rx':
      return t.rx;
    case 'tx':
      return t.tx;
    case 'sum':
      return t.rx + t.tx;
    case 'max':
      // biome-ignore lint/complexity/useMathMinMax: bigints; Math.max does not take them
      return t.rx > t.tx ? t.rx : t.tx;
  }
}

/** rx and tx summed over several nodes (a pool is one account). */
export function sumTraffic(parts: readonly Traffic[]): Traffic {
  let rx = 0n;
  let tx = 0n;
  for (const p of parts) {
    rx += p.rx;
    tx += p.tx;
  }
  return { rx, tx };
}

/** Bytes of the points booked in [from, to). */
export function trafficBetween(points: readonly Point[], from: number, to: number): Traffic {
  return sumTraffic(points.filter((p) => p.at >= from && p.at < to));
}

/** How a quota's period is found: a calendar (reset day + zone) or a cycle of `days` days from `start`. */
export type PeriodRule =
  | { kind: 'calendar'; resetDay: number; timezone: string }
  | { kind: 'cycle'; days: number; start: number };

export function periodAt(rule: PeriodRule, now: number): Period {
  if (rule.kind === 'calendar') {
    const start = periodStart(now, rule.resetDay, rule.timezone);
    return { start, end: nextPeriodStart(start, rule.resetDay, rule.timezone) };
  }
  const len = rule.days * DAY_MS;
  const n = Math.floor((now - rule.start) / len);
  const start = rule.start + n * len;
  return { start, end: start + len };
}

/**
 * Percent used, in hundredths of a percent, rounded down (12345 = 123.45 %). Exact for any bigint; a zero limit
 * counts as 100 % as soon as anything is used.
 */
export function basisPoints(used: bigint, limit: bigint): bigint {
  if (limit <= 0n) return used > 0n ? 10_000n : 0n;
  return (used * 10_000n) / limit;
}

/** Whether `used` has reached `percent` % of `limit` (exact: used * 100 >= limit * percent). */
export function reached(used: bigint, limit: bigint, percent: number): boolean {
  return used * 100n >= limit * BigInt(percent);
}

/** The thresholds (percent) that `used` has reached, ascending. A heartbeat that jumps past several reaches all. */
export function thresholdsReached(used: bigint, limit: bigint, thresholds: readonly number[]): number[] {
  return [...thresholds].sort((a, b) => a - b).filter((t) => reached(used, limit, t));
}

export interface RateWindow {
  /** Bytes (of the quota's measure) in the window. */
  bytes: bigint;
  /** Length of the window, ms (> 0). */
  ms: number;
}

export interface Projection {
  /** Average rate of the window in bytes per second, rounded down (a decimal string in views). */
  bytesPerSec: bigint;
  /** When the limit is reached at that rate (unix ms); `now` if already reached; null: not in this period. */
  reachAt: number | null;
}

/**
 * The time `used` reaches `limit` at the window's average rate: now + (limit - used) * ms / bytes, rounded up to the
 * next ms, or null when the rate is zero or the time falls at or after the period's end.
 */
export function project(used: bigint, limit: bigint, window: RateWindow, now: number, periodEnd: number): Projection {
  const ms = BigInt(Math.max(1, Math.floor(window.ms)));
  const bytesPerSec = (window.bytes * 1000n) / ms;
  if (used >= limit) return { bytesPerSec, reachAt: now };
  if (window.bytes <= 0n) return { bytesPerSec, reachAt: null };
  const remaining = limit - used;
  const toGo = (remaining * ms + window.bytes - 1n) / window.bytes;
  const horizon = BigInt(periodEnd - now);
  if (toGo >= horizon) return { bytesPerSec, reachAt: null };
  return { bytesPerSec, reachAt: now + Number(toGo) };
}

export interface QuotaInput {
  limit: bigint;
  measure: Measure;
  thresholds: readonly number[];
  period: Period;
  /** rx/tx of the period so far (summed over the pool's nodes for a pool). */
  used: Traffic;
  /** rx/tx of the last-24-hours window and its length in ms (may be shorter than 24 h after a period start). */
  recent: Traffic;
  recentMs: number;
  now: number;
}

export interface QuotaStatus {
  used: bigint;
  limit: bigint;
  basisPoints: bigint;
  reached: number[];
  period: Period;
  projection24h: Projection;
  projectionPeriod: Projection;
}

export function quotaStatus(q: QuotaInput): QuotaStatus {
  const used = measure(q.used, q.measure);
  const sinceStart = Math.max(1, q.now - q.period.start);
  return {
    used,
    limit: q.limit,
    basisPoints: basisPoints(used, q.limit),
    reached: thresholdsReached(used, q.limit, q.thresholds),
    period: q.period,
    projection24h: project(used, q.limit, { bytes: measure(q.recent, q.measure), ms: q.recentMs }, q.now, q.period.end),
    projectionPeriod: project(used, q.limit, { bytes: used, ms: sinceStart }, q.now, q.period.end),
  };
}

const UNITS: Record<string, bigint> = {
  B: 1n,
  KB: 10n ** 3n,
  MB: 10n ** 6n,
  GB: 10n ** 9n,
  TB: 10n ** 12n,
  PB: 10n ** 15n,
  KIB: 1n << 10n,
  MIB: 1n << 20n,
  GIB: 1n << 30n,
  TIB: 1n << 40n,
  PIB: 1n << 50n,
};

/**
 * "1TB", "1.5 TiB", "200GB", "1000000" -> bytes, exactly (decimal units are powers of 1000, binary of 1024).
 * A fraction that does not come out to whole bytes is refused; so is anything above 2^63-1.
 */
export function parseBytes(text: string): bigint {
  const m = /^\s*(\d{1,20})(?:\.(\d{1,18}))?\s*([kmgtp]i?b|b)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`"${text}" is not a byte size (e.g. 1000000, 200GB, 1TB, 1.5TiB)`);
  const unit = UNITS[(m[3] ?? 'B').toUpperCase()];
  const frac = m[2] ?? '';
  const scale = 10n ** BigInt(frac.length);
  const whole = BigInt(m[1]) * scale + (frac ? BigInt(frac) : 0n);
  if ((whole * unit) % scale !== 0n) throw new RangeError(`"${text}" is not a whole number of bytes`);
  const bytes = (whole * unit) / scale;
  if (bytes > (1n << 63n) - 1n) throw new RangeError(`"${text}" is above 2^63-1 bytes`);
  return bytes;
}
