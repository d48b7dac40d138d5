/** The quota math on hand-made periods: measures, pool sums, period boundaries, projection, exact big numbers. */
import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  basisPoints,
  measure,
  parseBytes,
  periodAt,
  project,
  quotaStatus,
  sumTraffic,
  thresholdsReached,
  trafficBetween,
  type Point,
} from '../../../src/collector/quota/quota-math.js';
import { percentText } from '../../../src/collector/quota/quota-status.js';

const H = 3_600_000;
const T = Date.UTC(2026, 10, 1); // 2026-11-01 00:00 UTC
const MAX = (1n << 63n) - 1n;

describe('measures', () => {
  const t = { rx: 700n, tx: 300n };
  it('rx, tx, sum, and max (the larger direction of the period totals)', () => {
    expect(measure(t, 'rx')).toBe(700n);
    expect(measure(t, 'tx')).toBe(300n);
    expect(measure(t, 'sum')).toBe(1000n);
    expect(measure(t, 'max')).toBe(700n);
    expect(measure({ rx: 1n, tx: 2n }, 'max')).toBe(2n);
  });

  it('max is taken over the period totals, not hour by hour', () => {
    // Hour 1 is rx-heavy, hour 2 tx-heavy: per-hour maxima would sum to 1800; the period's larger direction is 1100.
    const pts: Point[] = [
      { at: T, rx: 1000n, tx: 100n },
      { at: T + H, rx: 100n, tx: 800n },
    ];
    expect(measure(trafficBetween(pts, T, T + DAY_MS), 'max')).toBe(1100n);
  });

  it('a pool is one account: rx and tx summed over its nodes, then the measure', () => {
    const nodes = [
      { rx: 5n, tx: 1n },
      { rx: 1n, tx: 4n },
      { rx: 0n, tx: 3n },
    ];
    const pool = sumTraffic(nodes);
    expect(pool).toEqual({ rx: 6n, tx: 8n });
    expect(measure(pool, 'max')).toBe(8n);
    expect(measure(pool, 'sum')).toBe(14n);
    expect(sumTraffic([])).toEqual({ rx: 0n, tx: 0n });
  });
});

describe('periods', () => {
  it('a calendar period follows the reset day in its time zone', () => {
    const p = periodAt({ kind: 'calendar', resetDay: 5, timezone: 'Europe/Berlin' }, Date.UTC(2026, 10, 20));
    expect(new Date(p.start).toISOString()).toBe('2026-11-04T23:00:00.000Z');
    expect(new Date(p.end).toISOString()).toBe('2026-12-04T23:00:00.000Z');
  });

  it('a custom cycle is every N days from its start, before and after the start too', () => {
    const rule = { kind: 'cycle', days: 30, start: T } as const;
    expect(periodAt(rule, T)).toEqual({ start: T, end: T + 30 * DAY_MS });
    expect(periodAt(rule, T + 30 * DAY_MS - 1)).toEqual({ start: T, end: T + 30 * DAY_MS });
    expect(periodAt(rule, T + 30 * DAY_MS)).toEqual({ start: T + 30 * DAY_MS, end: T + 60 * DAY_MS });
    expect(periodAt(rule, T - 1)).toEqual({ start: T - 30 * DAY_MS, end: T });
  });

  it('a period that resets mid-rule: usage after the reset counts only the new period', () => {
    const rule = { kind: 'calendar', resetDay: 1, timezone: 'UTC' } as const;
    const lastOfOct = Date.UTC(2026, 9, 31, 22);
    const pts: Point[] = [
      { at: lastOfOct, rx: 900n, tx: 0n },
      { at: lastOfOct + H, rx: 50n, tx: 0n },
      { at: T, rx: 7n, tx: 0n }, // first hour of November
      { at: T + H, rx: 3n, tx: 0n },
    ];
    const before = periodAt(rule, T - 1);
    const after = periodAt(rule, T + 2 * H);
    expect(measure(trafficBetween(pts, before.start, before.end), 'rx')).toBe(950n);
    expect(measure(trafficBetween(pts, after.start, after.end), 'rx')).toBe(10n);
    const limit = 1000n;
    expect(thresholdsReached(950n, limit, [80, 90, 100])).toEqual([80, 90]);
    expect(thresholdsReached(10n, limit, [80, 90, 100])).toEqual([]);
  });
});

describe('thresholds and percent', () => {
  it('exact at the boundary: 80 % of 1000 is reached at 800, not at 799', () => {
    expect(thresholdsReached(799n, 1000n, [80])).toEqual([]);
    expect(thresholdsReached(800n, 1000n, [80])).toEqual([80]);
  });

  it('a limit crossed inside one heartbeat reaches every threshold it jumped over, in order', () => {
    expect(thresholdsReached(10n, 100n, [100, 80, 90])).toEqual([]);
    expect(thresholdsReached(130n, 100n, [100, 80, 90, 150])).toEqual([80, 90, 100]);
  });

  it('limits near 2^63: no float, no overflow', () => {
    const limit = MAX;
    const eighty = (limit * 80n + 99n) / 100n; // the first byte count at or above 80 %
    expect(thresholdsReached(eighty - 1n, limit, [80])).toEqual([]);
    expect(thresholdsReached(eighty, limit, [80])).toEqual([80]);
    expect(thresholdsReached(MAX, MAX, [100])).toEqual([100]);
    expect(thresholdsReached(MAX - 1n, MAX, [100])).toEqual([]);
    // A pool of two nodes each at the per-node ceiling: the sum passes 2^63 and is still exact.
    const pool = sumTraffic([
      { rx: MAX, tx: 0n },
      { rx: MAX, tx: 0n },
    ]);
    expect(pool.rx).toBe(2n * MAX);
    expect(basisPoints(pool.rx, MAX)).toBe(20_000n);
    expect(percentText(basisPoints(MAX - 1n, MAX))).toBe('99.99');
    // Number(MAX) would round to 2^63 and call this 100 %.
    expect(Number(MAX - 1n) >= Number(MAX)).toBe(true);
  });

  it('percent is rounded down, in hundredths', () => {
    expect(percentText(basisPoints(1n, 3n))).toBe('33.33');
    expect(percentText(basisPoints(2n, 3n))).toBe('66.66');
    expect(percentText(basisPoints(0n, 5n))).toBe('0.00');
    expect(percentText(basisPoints(1234567n, 1000n))).toBe('123456.70');
  });
});

describe('projection', () => {
  const now = T + 10 * DAY_MS;
  const end = T + 30 * DAY_MS;

  it('reaches the limit at now + remaining / rate', () => {
    // 100 GB a day, 500 GB used of 1 TB: 5 more days.
    const p = project(500n * 10n ** 9n, 10n ** 12n, { bytes: 100n * 10n ** 9n, ms: DAY_MS }, now, end);
    expect(p.reachAt).toBe(now + 5 * DAY_MS);
    expect(p.bytesPerSec).toBe((100n * 10n ** 9n) / 86_400n);
  });

  it('"not in this period" when the time falls at or after the period end, or nothing moves', () => {
    expect(project(0n, 10n ** 12n, { bytes: 10n ** 9n, ms: DAY_MS }, now, end).reachAt).toBeNull();
    // exactly at the end: not in this period
    expect(project(0n, 20n, { bytes: 1n, ms: DAY_MS }, now, now + 20 * DAY_MS).reachAt).toBeNull();
    expect(project(0n, 20n, { bytes: 1n, ms: DAY_MS }, now, now + 20 * DAY_MS + 1).reachAt).toBe(now + 20 * DAY_MS);
    expect(project(5n, 10n, { bytes: 0n, ms: DAY_MS }, now, end)).toEqual({ bytesPerSec: 0n, reachAt: null });
  });

  it('a limit already reached is reached now', () => {
    expect(project(11n, 10n, { bytes: 0n, ms: DAY_MS }, now, end).reachAt).toBe(now);
  });

  it('rounds the time up to the next ms (never announces a time before the limit is reached)', () => {
    // 1 byte left at 3 bytes per ms-window of 1000 ms: 333.33 ms -> 334.
    expect(project(9n, 10n, { bytes: 3n, ms: 1000 }, now, end).reachAt).toBe(now + 334);
  });

  it('exact near 2^63', () => {
    const p = project(MAX - 1000n, MAX, { bytes: MAX, ms: DAY_MS }, now, end);
    expect(p.reachAt).toBe(now + 1); // 1000 bytes at ~1e14 B/ms: within the first ms
    expect(p.bytesPerSec).toBe((MAX * 1000n) / BigInt(DAY_MS));
  });

  it('quotaStatus: the 24-hour rate and the period-so-far rate give two projections', () => {
    const s = quotaStatus({
      limit: 1000n,
      measure: 'max',
      thresholds: [80, 90, 100],
      period: { start: T, end },
      used: { rx: 850n, tx: 100n },
      recent: { rx: 0n, tx: 10n },
      recentMs: DAY_MS,
      now,
    });
    expect(s.used).toBe(850n);
    expect(s.reached).toEqual([80]);
    expect(s.basisPoints).toBe(8500n);
    // last 24 h: 10 bytes/day (max of rx 0, tx 10) -> 15 days for 150 bytes: past the end (20 days left)? no: 15 < 20
    expect(s.projection24h.reachAt).toBe(now + 15 * DAY_MS);
    // period so far: 850 bytes in 10 days = 85/day -> 150 bytes in 1.7647 days
    expect(s.projectionPeriod.reachAt).toBe(now + Math.ceil((150 * 10 * DAY_MS) / 850));
  });
});

describe('parseBytes', () => {
  it('decimal and binary units, exactly', () => {
    expect(parseBytes('1TB')).toBe(10n ** 12n);
    expect(parseBytes('10 TB')).toBe(10n ** 13n);
    expect(parseBytes('200gb')).toBe(200n * 10n ** 9n);
    expect(parseBytes('1.5TiB')).toBe(3n << 39n);
    expect(parseBytes('123')).toBe(123n);
    expect(parseBytes('9223372036854775807')).toBe(MAX);
  });
  it('refuses what is not a whole number of bytes, above 2^63-1, or not a size', () => {
    expect(() => parseBytes('1.5B')).toThrow(/whole number/);
    expect(() => parseBytes('9223372036854775808')).toThrow(/2\^63-1/);
    expect(() => parseBytes('10EB')).toThrow(/not a byte size/);
    expect(() => parseBytes('-1')).toThrow(/not a byte size/);
    expect(() => parseBytes('')).toThrow(/not a byte size/);
  });
});
