/**
 * Unusual traffic, judged against each series' own history. Pure: the series, the zone and the parameters are
 * passed in; nothing here reads a clock or a store.
 *
 * The rule (hourly node traffic, and daily per-user-per-node traffic alike):
 * - A point is compared with the SAME SLOT on earlier days: the same local hour of day (hourly series) over the
 *   previous `lookbackDays` days. Proxy traffic has a strong daily rhythm, so 03:00 is compared with other 03:00s,
 *   never with the busy evening. Where at least `weeklyMinWeeks` weeks of history exist, only days of the same kind
 *   (weekday or weekend, in the zone) are compared, which follows the weekly rhythm too.
 * - Expected value: the median of those slots. Spread: the median absolute deviation (MAD) x 1.4826 (a standard
 *   deviation for normal data), but never less than `minSpreadRatio` of the median nor `minSpreadBytes`: a perfectly
 *   steady series would otherwise flag every wobble. Median and MAD ignore a few earlier spikes (they are robust).
 * - A point is unusual when it lies more than `k` spreads from the median: 'spike' above, 'drop' below.
 * - Nothing is flagged before `minHistory` comparable slots exist: a new node is learnt first, not judged.
 * Missing hours count as zero traffic only between the series' first and last point (the agent sends no record for an
 * idle interval); before the first point there is no history.
 */
import { localParts } from '../../common/calendar.js';

export interface Point {
  /** Start of the hour (hourly series) or of the local day (daily series), unix ms. */
  at: number;
  value: bigint;
}

export type AnomalyKind = 'spike' | 'drop';

export interface Anomaly {
  at: number;
  kind: AnomalyKind;
  observed: bigint;
  expected: bigint;
  /** The range the point would have had to fall in not to be flagged, [low, high], bytes. */
  low: bigint;
  high: bigint;
  /** How many comparable slots the judgement rests on. */
  history: number;
}

export interface DetectOptions {
  timeZone: string;
  /** Slot width: 3,600,000 for hourly series, 86,400,000 for daily ones. */
  stepMs: number;
  lookbackDays: number;
  minHistory: number;
  k: number;
  minSpreadRatio: number;
  minSpreadBytes: number;
  weeklyMinWeeks: number;
}

export const HOURLY_DEFAULTS: Omit<DetectOptions, 'timeZone'> = {
  stepMs: 3_600_000,
  lookbackDays: 28,
  minHistory: 7,
  k: 5,
  minSpreadRatio: 0.1,
  minSpreadBytes: 16 * 1024 * 1024,
  weeklyMinWeeks: 3,
};

export const DAILY_DEFAULTS: Omit<DetectOptions, 'timeZone'> = {
  stepMs: 86_400_000,
  lookbackDays: 28,
  minHistory: 7,
  k: 5,
  minSpreadRatio: 0.25,
  minSpreadBytes: 256 * 1024 * 1024,
  weeklyMinWeeks: 99,
};

const DAY_MS = 86_400_000;

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/** Saturday or Sunday in the zone; memoised per zone and UTC hour (every series of a run shares its hours). */
const weekendMemo = new Map<string, Map<number, boolean>>();
function weekend(ms: number, timeZone: string): boolean {
  let memo = weekendMemo.get(timeZone);
  if (!memo) weekendMemo.set(timeZone, (memo = new Map()));
  const hour = Math.floor(ms / 3_600_000);
  let w = memo.get(hour);
  if (w === undefined) {
    const p = localParts(ms, timeZone);
    const dow = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
    w = dow === 0 || dow === 6;
    if (memo.size > 200_000) memo.clear();
    memo.set(hour, w);
  }
  return w;
}

/**
 * Every unusual point of `series` with `from <= at < to` (earlier points serve as history only). The series must be
 * ascending and on slot boundaries; values are bytes (exact as bigint in and out; the statistics use doubles, which
 * are exact to 2^53 bytes, 8 PiB per slot).
 */
export function detectAnomalies(series: readonly Point[], from: number, to: number, opts: DetectOptions): Anomaly[] {
  if (series.length === 0) return [];
  const first = series[0].at;
  const last = series[series.length - 1].at;
  // Dense values on the series' grid: slot i is first + i x step; a missing slot inside the series is zero.
  const values = new Float64Array(Math.floor((last - first) / opts.stepMs) + 1);
  for (const p of series) values[Math.round((p.at - first) / opts.stepMs)] = Number(p.value);
  return detectDense(first, values, from, to, opts);
}

/**
 * The same rule on a dense series: values[i] is the slot starting at first + i x stepMs (zero where nothing was
 * carried). This is the fast path of a fleet-wide run: each slot of the day (each column) is walked once, keeping the
 * comparable slots of the last `lookbackDays` days in small sorted windows (all days, weekdays, weekend days) that
 * gain one value and lose one per day, so a point costs a few dozen moves instead of two sorts.
 */
export function detectDense(
  first: number,
  values: Float64Array,
  from: number,
  to: number,
  opts: DetectOptions,
): Anomaly[] {
  const slots = values.length;
  const step = opts.stepMs;
  const spd = Math.max(1, Math.round(DAY_MS / step));
  const lookback = opts.lookbackDays;
  const startSlot = Math.max(0, Math.ceil((from - first) / step));
  const endSlot = Math.min(slots, Math.ceil((to - first) / step));
  if (slots === 0 || startSlot >= endSlot) return [];
  const weeklyFrom = opts.weeklyMinWeeks * 7 * spd;
  const span = lookback * spd;
  const historyStart = Math.max(0, startSlot - span);
  // Weekend (1) or weekday (0) of each slot that is judged or compared, only when the weekly rule can apply.
  const weekly = endSlot > weeklyFrom;
  const kinds = new Uint8Array(weekly ? endSlot : 0);
  if (weekly) for (let i = historyStart; i < endSlot; i++) kinds[i] = weekend(first + i * step, opts.timeZone) ? 1 : 0;
  const all = new SortedWindow(lookback);
  const byKind = [new SortedWindow(lookback), new SortedWindow(lookback)];
  const out: Anomaly[] = [];
  for (let c = 0; c < spd; c++) {
    all.n = byKind[0].n = byKind[1].n = 0;
    // The column's first slot at or after historyStart: from there every judged slot sees its whole look-back.
    const colStart = c + spd * Math.max(0, Math.ceil((historyStart - c) / spd));
    for (let i = colStart; i < endSlot; i += spd) {
      const enter = i - spd;
      if (enter >= colStart) {
        all.insert(values[enter]);
        if (weekly) byKind[kinds[enter]].insert(values[enter]);
      }
      const leave = i - span - spd;
      if (leave >= colStart) {
        all.remove(values[leave]);
        if (weekly) byKind[kinds[leave]].remove(values[leave]);
      }
      if (i < startSlot) continue;
      const w = weekly && i >= weeklyFrom ? byKind[kinds[i]] : all;
      if (w.n < opts.minHistory) continue;
      const med = w.median();
      const spread = Math.max(w.mad(med) * 1.4826, med * opts.minSpreadRatio, opts.minSpreadBytes);
      const low = Math.max(0, med - opts.k * spread);
      const high = med + opts.k * spread;
      const x = values[i];
      if (x > high || x < low) {
        out.push({
          at: first + i * step,
          kind: x > high ? 'spike' : 'drop',
          observed: BigInt(Math.round(x)),
          expected: BigInt(Math.round(med)),
          low: BigInt(Math.ceil(low)),
          high: BigInt(Math.floor(high)),
          history: w.n,
        });
      }
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A small multiset kept sorted in a typed array: insert and remove by binary search and one shift. */
class SortedWindow {
  readonly a: Float64Array;
  n = 0;
  constructor(capacity: number) {
    this.a = new Float64Array(capacity + 1);
  }
  private lowerBound(v: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.a[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  insert(v: number): void {
    const k = this.lowerBound(v);
    this.a.copyWithin(k + 1, k, this.n);
    this.a[k] = v;
    this.n++;
  }
  remove(v: number): void {
    const k = this.lowerBound(v);
    if (k >= this.n || this.a[k] !== v) return;
    this.a.copyWithin(k, k + 1, this.n);
    this.n--;
  }
  median(): number {
    const n = this.n;
    return n % 2 === 1 ? this.a[(n - 1) / 2] : (this.a[n / 2 - 1] + this.a[n / 2]) / 2;
  }
  /**
   * Median absolute deviation from `med`, without sorting: the deviations below the median grow leftwards and those
   * above it rightwards, so the two runs are merged from the middle until the middle deviation(s) are reached.
   */
  mad(med: number): number {
    const n = this.n;
    const a = this.a;
    let l = this.lowerBound(med) - 1;
    let r = l + 1;
    const want = n >> 1; // 0-based index of the upper middle deviation
    let prev = 0;
    let cur = 0;
    for (let k = 0; k <= want; k++) {
      prev = cur;
      const dl = l >= 0 ? med - a[l] : Number.POSITIVE_INFINITY;
      const dr = r < n ? a[r] - med : Number.POSITIVE_INFINITY;
      if (dl <= dr) {
        cur = dl;
        l--;
      } else {
        cur = dr;
        r++;
      }
    }
    return n % 2 === 1 ? cur : (prev + cur) / 2;
  }
}

export interface ZeroRun {
  /** First silent slot. */
  from: number;
  /** End of the silence (exclusive): the next slot with traffic, or `now` while it lasts. */
  to: number;
  /** What the node carried per slot before it fell silent (median of the last day's slots with traffic). */
  usual: bigint;
}

/**
 * A node that has fallen silent while it is still online (its heartbeats arrive): the proxy core is broken or the
 * node was taken out of rotation. Flagged when the last `minSilentSlots` slots up to `now` carried nothing, the
 * node was seen within `onlineWithinMs` of `now`, and it carried at least `minUsualBytes` per slot before.
 */
export function zeroWhileOnline(
  series: readonly Point[],
  now: number,
  lastSeen: number | null,
  opts: { stepMs: number; minSilentSlots: number; onlineWithinMs: number; minUsualBytes: number },
): ZeroRun | null {
  if (lastSeen === null || now - lastSeen > opts.onlineWithinMs) return null;
  const nowSlot = Math.floor(now / opts.stepMs) * opts.stepMs;
  const busy = series.filter((p) => p.value > 0n);
  const lastBusy = busy[busy.length - 1];
  if (!lastBusy) return null;
  const silentFrom = lastBusy.at + opts.stepMs;
  if ((nowSlot - silentFrom) / opts.stepMs < opts.minSilentSlots) return null;
  const before = busy
    .filter((p) => p.at > lastBusy.at - DAY_MS)
    .map((p) => Number(p.value))
    .sort((a, b) => a - b);
  const usual = median(before);
  if (usual < opts.minUsualBytes) return null;
  return { from: silentFrom, to: now, usual: BigInt(Math.round(usual)) };
}
