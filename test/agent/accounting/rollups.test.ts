import { describe, expect, it } from 'vitest';
import { accountTick, baselineState } from '../../../src/agent/accounting/account-tick.js';
import {
  ROLLUP_LIMITS,
  bucketKeys,
  daysBefore,
  monthsBefore,
  rollUp,
  startRollups,
  type Rollups,
} from '../../../src/agent/accounting/rollups.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';
import { EPOCH, T0, sample, settings } from './values.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const sum = (list: readonly [unknown, string, string][]) =>
  list.reduce((a, b) => ({ rx: a.rx + BigInt(b[1]), tx: a.tx + BigInt(b[2]) }), { rx: 0n, tx: 0n });

/** Books `n` ticks every `stepMs` from `start`, tick i carrying (i+1) rx and 2(i+1) tx bytes. */
function book(n: number, start: number, stepMs: number, tz = 'UTC', r: Rollups = startRollups(start)) {
  let rx = 0n;
  let tx = 0n;
  for (let i = 0; i < n; i++) {
    const b = BigInt(i + 1);
    r = rollUp(r, start + i * stepMs, b, 2n * b, tz);
    rx += b;
    tx += 2n * b;
  }
  return { r, rx, tx };
}

describe('bucket keys', () => {
  it('local hour, date and month in the configured zone', () => {
    // 2025-03-10T23:30Z is 2025-03-11 00:30 in Berlin (UTC+1) and 2025-03-10 19:30 in New York (EDT, UTC-4)
    const at = Date.UTC(2025, 2, 10, 23, 30, 15, 250);
    expect(bucketKeys(at, 'UTC')).toEqual({ hour: Date.UTC(2025, 2, 10, 23), day: '2025-03-10', month: '2025-03' });
    expect(bucketKeys(at, 'Europe/Berlin')).toEqual({
      hour: Date.UTC(2025, 2, 10, 23),
      day: '2025-03-11',
      month: '2025-03',
    });
    expect(bucketKeys(at, 'America/New_York').day).toBe('2025-03-10');
    // a zone off the hour: Kathmandu is UTC+5:45, its hours start at :15 UTC
    expect(bucketKeys(at, 'Asia/Kathmandu')).toEqual({
      hour: Date.UTC(2025, 2, 10, 23, 15),
      day: '2025-03-11',
      month: '2025-03',
    });
  });

  it('date and month arithmetic across month and year ends', () => {
    expect(daysBefore('2025-03-01', 1)).toBe('2025-02-28');
    expect(daysBefore('2024-03-01', 1)).toBe('2024-02-29');
    expect(daysBefore('2025-01-10', 61)).toBe('2024-11-10');
    expect(monthsBefore('2025-01', 1)).toBe('2024-12');
    expect(monthsBefore('2025-03', 23)).toBe('2023-04');
  });
});

describe('rollUp', () => {
  it('nothing to book: the same object comes back', () => {
    const r = startRollups(T0);
    expect(rollUp(r, T0 + 1000, 0n, 0n, 'UTC')).toBe(r);
  });

  it('within the windows every kind of bucket sums to what was booked', () => {
    // 40 hours of ticks every 10 minutes: fits in 48 hours, 62 days and 24 months
    const { r, rx, tx } = book(240, T0, 10 * 60_000);
    expect(r.hours).toHaveLength(40);
    expect(r.days.map((d) => d[0])).toEqual(['2025-03-10', '2025-03-11', '2025-03-12']);
    expect(r.months.map((m) => m[0])).toEqual(['2025-03']);
    for (const list of [r.hours, r.days, r.months]) expect(sum(list)).toEqual({ rx, tx });
    // the top list holds every day there is, biggest first
    expect(r.top.map((d) => d[0])).toEqual(['2025-03-11', '2025-03-12', '2025-03-10']);
    expect(sum(r.top)).toEqual({ rx, tx });
  });

  it('keeps 48 hours, 62 days and 24 months and evicts the oldest', () => {
    const hourly = book(100, T0, HOUR).r;
    expect(hourly.hours).toHaveLength(ROLLUP_LIMITS.hours);
    expect(hourly.hours[0][0]).toBe(T0 + 52 * HOUR);
    expect(hourly.hours.at(-1)![0]).toBe(T0 + 99 * HOUR);
    // the newest 48 hours hold exactly the bytes of the newest 48 ticks
    const newest = Array.from({ length: 48 }, (_, i) => BigInt(53 + i)).reduce((a, b) => a + b, 0n);
    expect(sum(hourly.hours)).toEqual({ rx: newest, tx: 2n * newest });

    const daily = book(100, T0, DAY).r;
    expect(daily.days).toHaveLength(ROLLUP_LIMITS.days);
    expect(daily.days[0][0]).toBe(daysBefore(daily.days.at(-1)![0], 61));
    let monthly = startRollups(T0);
    for (let i = 0; i < 40; i++) monthly = rollUp(monthly, Date.UTC(2025, i, 15), 1n, 1n, 'UTC');
    expect(monthly.months).toHaveLength(ROLLUP_LIMITS.months);
    expect(monthly.months[0][0]).toBe(monthsBefore(monthly.months.at(-1)![0], 23));
    // days: at most 62 even when ticks skip days (gaps are not buckets, and do not stretch the window)
    const sparse = book(100, T0, 3 * DAY).r;
    expect(sparse.days.length).toBeLessThanOrEqual(21);
    expect(sparse.days[0][0] >= daysBefore(sparse.days.at(-1)![0], 61)).toBe(true);
  });

  it('the top 10 days are the biggest ever, even when they left the 62-day window', () => {
    let r = startRollups(T0);
    const sizes = [5, 900, 3, 700, 1, 800, 2, 600, 4, 500, 7, 1000, 6, 400, 8, 300, 9];
    sizes.forEach((s, i) => {
      // each day booked in three ticks: the top list follows a day as it grows
      for (let k = 0; k < 3; k++) r = rollUp(r, T0 + i * DAY + k * HOUR, BigInt(s), 0n, 'UTC');
    });
    for (let i = 0; i < 70; i++) r = rollUp(r, T0 + (sizes.length + i) * DAY, 1n, 0n, 'UTC');
    expect(r.top).toHaveLength(ROLLUP_LIMITS.top);
    expect(r.top.map((d) => Number(d[1]) / 3)).toEqual([1000, 900, 800, 700, 600, 500, 400, 300, 9, 8]);
    expect(r.top[0][0]).toBe('2025-03-21');
    expect(r.days.some((d) => d[0] === '2025-03-21')).toBe(false); // evicted from the days, kept in the top
  });

  it('ties in the top list: the earlier day first; a day equal to the smallest does not push it out', () => {
    let r = startRollups(T0);
    for (let i = 0; i < 12; i++) r = rollUp(r, T0 + i * DAY, 10n, 0n, 'UTC');
    expect(r.top.map((d) => d[0])).toEqual(Array.from({ length: 10 }, (_, i) => daysBefore('2025-03-10', -i)));
  });

  it('a wall clock stepping back books into the newest buckets: nothing lands outside the window', () => {
    let r = rollUp(startRollups(T0), T0, 100n, 1n, 'UTC');
    r = rollUp(r, T0 + 5 * HOUR, 50n, 1n, 'UTC');
    r = rollUp(r, T0 - 400 * DAY, 7n, 1n, 'UTC'); // a clock a year and more behind
    expect(r.hours).toEqual([
      [T0, '100', '1'],
      [T0 + 5 * HOUR, '57', '2'],
    ]);
    expect(r.days).toEqual([['2025-03-10', '157', '3']]);
    expect(r.months).toEqual([['2025-03', '157', '3']]);
    for (const list of [r.hours, r.days, r.months]) expect(sum(list)).toEqual({ rx: 157n, tx: 3n });
  });

  it('days and months follow the zone across a DST change', () => {
    // New York springs forward on 2025-03-09: that local day is 23 hours long, still one bucket
    const start = Date.UTC(2025, 2, 9, 5); // 00:00 local
    const { r } = book(23, start, HOUR, 'America/New_York');
    expect(r.days.map((d) => d[0])).toEqual(['2025-03-09']);
    expect(r.hours).toHaveLength(23);
  });
});

describe('rollups in the accounting core', () => {
  it('updated by the same tick as the totals; sums equal the totals across a reboot', () => {
    const s = settings();
    let state: AgentState = baselineState(sample(T0, { eth0: [1_000, 2_000] }), EPOCH, s);
    const rebooted = { boot: { bootId: 'cccccccc-0000-4000-8000-000000000003', btime: 1 } };
    const steps = [
      sample(T0 + 30 * 60_000, { eth0: [11_000, 2_500] }),
      sample(T0 + 90 * 60_000, { eth0: [41_000, 3_500] }),
      sample(T0 + 13 * HOUR, { eth0: [700, 90] }, rebooted),
      sample(T0 + 14 * HOUR, { eth0: [5_700, 1_090], lo: [9_999, 9_999] }, rebooted),
    ];
    for (const smp of steps) state = accountTick(state, smp, s).state;
    const totals = { rx: BigInt(state.totals.rx), tx: BigInt(state.totals.tx) };
    expect(totals).toEqual({ rx: 40_000n + 700n + 5_000n, tx: 1_500n + 90n + 1_000n });
    const r = state.rollups!;
    for (const list of [r.hours, r.days, r.months, r.top]) expect(sum(list)).toEqual(totals);
    expect(r.days.map((d) => d[0])).toEqual(['2025-03-10', '2025-03-11']);
  });

  it('a state written before rollups existed starts them with its totals as `before`', () => {
    const s = settings();
    const first = baselineState(sample(T0, { eth0: [0, 0] }), EPOCH, s);
    let state = accountTick(first, sample(T0 + 60_000, { eth0: [500, 50] }), s).state;
    const { rollups: _gone, ...old } = state;
    state = accountTick(old as AgentState, sample(T0 + 120_000, { eth0: [800, 90] }), s).state;
    expect(state.rollups!.before).toEqual({ rx: '500', tx: '50' });
    expect(state.rollups!.since).toBe(T0 + 120_000);
    expect(sum(state.rollups!.days)).toEqual({ rx: 300n, tx: 40n });
    expect(state.totals).toEqual({ rx: '800', tx: '90' });
  });
});
