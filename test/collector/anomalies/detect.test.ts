/** The unusual-traffic rule on synthetic series: what must be flagged, and what must NOT. */
import { describe, expect, it } from 'vitest';
import {
  DAILY_DEFAULTS,
  HOURLY_DEFAULTS,
  detectAnomalies,
  zeroWhileOnline,
  type Anomaly,
  type DetectOptions,
  type Point,
} from '../../../src/collector/anomalies/detect.js';
import { localParts } from '../../../src/common/calendar.js';
import { createRng } from '../../../src/loadgen/rng.js';

const H = 3_600_000;
const D = 24 * H;
const MB = 1024 * 1024;
// Monday 2026-01-05 00:00 UTC: weekdays and weekends fall where the calendar says.
const T0 = Date.UTC(2026, 0, 5);
const opts = { ...HOURLY_DEFAULTS, timeZone: 'UTC' };

/** Hourly series over `days` days from T0, value(hourIndex) in MB, with a small deterministic wobble. */
function hourly(days: number, value: (i: number) => number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < days * 24; i++) {
    const wobble = 1 + 0.05 * Math.sin(i * 1.7);
    out.push({ at: T0 + i * H, value: BigInt(Math.round(value(i) * wobble * MB)) });
  }
  return out;
}
/** A daily rhythm: quiet at night (50 MB/h), busy evenings (2 GB/h). */
const rhythm = (i: number) => {
  const h = i % 24;
  return h < 7 ? 50 : h < 18 ? 600 : 2000;
};

describe('detectAnomalies (hourly)', () => {
  it('flags nothing on a steady series', () => {
    const s = hourly(30, () => 500);
    expect(detectAnomalies(s, T0, T0 + 30 * D, opts)).toEqual([]);
  });

  it('flags nothing on a strong daily cycle: a quiet night is not a drop, a busy evening not a spike', () => {
    const s = hourly(30, rhythm);
    expect(detectAnomalies(s, T0, T0 + 30 * D, opts)).toEqual([]);
  });

  it('flags one spike, with the expected range and the observed value, and nothing else', () => {
    const s = hourly(30, rhythm);
    const i = 25 * 24 + 3; // 03:00 on day 25: night traffic of 20 GB instead of 50 MB
    s[i] = { at: s[i].at, value: BigInt(20_000 * MB) };
    const found = detectAnomalies(s, T0, T0 + 30 * D, opts);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ at: T0 + i * H, kind: 'spike', observed: BigInt(20_000 * MB) });
    expect(found[0].expected).toBeGreaterThan(BigInt(40 * MB));
    expect(found[0].expected).toBeLessThan(BigInt(60 * MB));
    expect(found[0].high).toBeLessThan(found[0].observed);
    expect(found[0].history).toBeGreaterThanOrEqual(7);
  });

  it('is not thrown off by earlier spikes in the history (median and MAD are robust)', () => {
    const s = hourly(30, rhythm);
    for (const d of [20, 22, 24]) {
      const i = d * 24 + 3;
      s[i] = { at: s[i].at, value: BigInt(20_000 * MB) };
    }
    const later = 28 * 24 + 3;
    s[later] = { at: s[later].at, value: BigInt(20_000 * MB) };
    const found = detectAnomalies(s, T0 + 27 * D, T0 + 30 * D, opts);
    expect(found.map((a) => a.at)).toEqual([T0 + later * H]);
  });

  it('a step change is flagged while it is new, then becomes the norm', () => {
    // 500 MB/h for 20 days, then 5 GB/h from day 20 on.
    const s = hourly(50, (i) => (i < 20 * 24 ? 500 : 5000));
    const found = detectAnomalies(s, T0, T0 + 50 * D, opts);
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((a) => a.kind === 'spike' && a.at >= T0 + 20 * D)).toBe(true);
    // Once more than half the comparable slots are at the new level, nothing is flagged any more.
    expect(found.some((a) => a.at >= T0 + 40 * D)).toBe(false);
  });

  it('a node whose traffic stops in its busy hours is flagged as a drop (missing hours count as zero)', () => {
    // Silent from 18:00 to 24:00 on day 28 (usually 2 GB/h); a silent night hour (usually 50 MB) is within noise.
    const silent = (at: number) => at >= T0 + 28 * D + 18 * H && at < T0 + 29 * D;
    const s = hourly(30, rhythm).filter((p) => !silent(p.at));
    const found = detectAnomalies(s, T0 + 28 * D, T0 + 29 * D, opts);
    expect(found.map((a) => a.at)).toEqual([18, 19, 20, 21, 22, 23].map((h) => T0 + 28 * D + h * H));
    expect(found.every((a) => a.kind === 'drop' && a.observed === 0n)).toBe(true);
  });

  it('judges nothing on a new node with little history, however odd its first days', () => {
    const s = hourly(5, (i) => (i % 7 === 0 ? 9000 : 10));
    expect(detectAnomalies(s, T0, T0 + 5 * D, opts)).toEqual([]);
  });

  it('follows the weekly rhythm: quiet weekends are not drops once three weeks of history exist', () => {
    const weekday = (i: number) => new Date(T0 + i * H).getUTCDay() % 6 !== 0;
    const s = hourly(42, (i) => (weekday(i) ? 3000 : 300));
    const found = detectAnomalies(s, T0 + 28 * D, T0 + 42 * D, opts);
    expect(found).toEqual([]);
  });

  it('does not flag small wobbles on a tiny series (the spread floor)', () => {
    const s = hourly(30, (i) => (i % 2 === 0 ? 1 : 3)); // 1-3 MB/h
    expect(detectAnomalies(s, T0, T0 + 30 * D, opts)).toEqual([]);
  });
});

describe('detectAnomalies (daily, one user on one node)', () => {
  const dopts = { ...DAILY_DEFAULTS, timeZone: 'UTC' };
  const daily = (values: number[]): Point[] => values.map((v, i) => ({ at: T0 + i * D, value: BigInt(v * MB) }));

  it('a leaked account: one day far above the user usual on that node is flagged', () => {
    const values = Array.from({ length: 30 }, (_, i) => 800 + ((i * 37) % 200));
    values[29] = 60_000;
    const found = detectAnomalies(daily(values), T0, T0 + 30 * D, dopts);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ at: T0 + 29 * D, kind: 'spike', observed: BigInt(60_000 * MB) });
  });

  it('judges the days on the series grid whatever the range start (a range starting mid-day)', () => {
    const values = Array.from({ length: 30 }, (_, i) => 800 + ((i * 37) % 200));
    values[29] = 60_000;
    const found = detectAnomalies(daily(values), T0 + 20 * D + 5 * H, T0 + 30 * D, dopts);
    expect(found.map((a) => a.at)).toEqual([T0 + 29 * D]);
  });

  it('an ordinary heavy day (twice the usual) is not flagged', () => {
    const values = Array.from({ length: 30 }, (_, i) => 800 + ((i * 37) % 200));
    values[29] = 1800;
    expect(detectAnomalies(daily(values), T0, T0 + 30 * D, dopts)).toEqual([]);
  });
});

/**
 * The rule written the plain way (gather the comparable slots, sort, take the median, sort the deviations): the fast
 * sliding-window implementation must give exactly the same answers.
 */
function reference(series: readonly Point[], from: number, to: number, o: DetectOptions): Anomaly[] {
  const first = series[0].at;
  const slots = Math.floor((series[series.length - 1].at - first) / o.stepMs) + 1;
  const v = new Array<number>(slots).fill(0);
  for (const p of series) v[Math.round((p.at - first) / o.stepMs)] = Number(p.value);
  const spd = Math.round(D / o.stepMs);
  const weekends = new Map<number, boolean>();
  const isWeekend = (ms: number) => {
    let w = weekends.get(ms);
    if (w === undefined) {
      const p = localParts(ms, o.timeZone);
      const dow = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
      weekends.set(ms, (w = dow === 0 || dow === 6));
    }
    return w;
  };
  const med = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const n = s.length;
    return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  };
  const out: Anomaly[] = [];
  for (
    let i = Math.max(0, Math.ceil((from - first) / o.stepMs));
    i < Math.min(slots, Math.ceil((to - first) / o.stepMs));
    i++
  ) {
    const at = first + i * o.stepMs;
    const weekly = i >= o.weeklyMinWeeks * 7 * spd;
    const hist: number[] = [];
    for (let d = 1; d <= o.lookbackDays && i - d * spd >= 0; d++) {
      const j = i - d * spd;
      if (!weekly || isWeekend(first + j * o.stepMs) === isWeekend(at)) hist.push(v[j]);
    }
    if (hist.length < o.minHistory) continue;
    const m = med(hist);
    const spread = Math.max(med(hist.map((x) => Math.abs(x - m))) * 1.4826, m * o.minSpreadRatio, o.minSpreadBytes);
    const low = Math.max(0, m - o.k * spread);
    const high = m + o.k * spread;
    if (v[i] > high || v[i] < low)
      out.push({
        at,
        kind: v[i] > high ? 'spike' : 'drop',
        observed: BigInt(Math.round(v[i])),
        expected: BigInt(Math.round(m)),
        low: BigInt(Math.ceil(low)),
        high: BigInt(Math.floor(high)),
        history: hist.length,
      });
  }
  return out;
}

describe('detectAnomalies agrees with the plain rule (sort every time)', () => {
  it.each([
    [1, 'UTC'],
    [2, 'Europe/Berlin'],
    [3, 'Asia/Kolkata'],
  ])('on a noisy series with spikes, gaps and repeated values (seed %i, %s)', (seed, timeZone) => {
    const rng = createRng(seed);
    const o = { ...HOURLY_DEFAULTS, timeZone, k: 2, minSpreadBytes: 0, minSpreadRatio: 0.01 };
    const s: Point[] = [];
    for (let i = 0; i < 60 * 24; i++) {
      if (rng.chance(0.03)) continue; // a missing hour counts as zero
      const base = rhythm(i) * (rng.chance(0.02) ? 20 : 1);
      const v = rng.chance(0.1) ? 100 : Math.round(base * (0.5 + rng.next())); // repeated values test removal
      s.push({ at: T0 + i * H, value: BigInt(v * MB) });
    }
    const from = T0 + 10 * D + 7 * H;
    const fast = detectAnomalies(s, from, T0 + 60 * D, o);
    expect(fast.length).toBeGreaterThan(10);
    expect(fast).toEqual(reference(s, from, T0 + 60 * D, o));
  });
});

describe('zeroWhileOnline', () => {
  const zopts = { stepMs: H, minSilentSlots: 2, onlineWithinMs: 5 * 60_000, minUsualBytes: 10 * MB };
  const s = hourly(3, () => 500);
  const lastAt = s[s.length - 1].at;

  it('flags an online node whose traffic stopped two hours ago', () => {
    const now = lastAt + 3 * H + 10 * 60_000;
    const z = zeroWhileOnline(s, now, now - 30_000, zopts);
    expect(z).toMatchObject({ from: lastAt + H, to: now });
    expect(z?.usual).toBeGreaterThan(BigInt(400 * MB));
  });

  it('does not flag an offline node (no heartbeat), nor a short pause, nor a node that never carried much', () => {
    const now = lastAt + 3 * H + 10 * 60_000;
    expect(zeroWhileOnline(s, now, now - 3600_000, zopts)).toBeNull();
    expect(zeroWhileOnline(s, lastAt + H + 30 * 60_000, lastAt + H + 29 * 60_000, zopts)).toBeNull();
    const tiny = hourly(3, () => 1);
    expect(zeroWhileOnline(tiny, now, now - 1000, zopts)).toBeNull();
  });
});
