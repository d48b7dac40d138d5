/**
 * The dashboard's view of GET /api/v1/nodes/:id/load (src/collector/routes/load.ts): columns for uPlot, times in unix
 * seconds, and a null point wherever samples stop for longer than `gapSec`, so an offline stretch shows as a break
 * instead of a straight line across it.
 */
export type LoadWindow = '24h' | '7d' | '30d';
export const LOAD_WINDOWS: readonly LoadWindow[] = ['24h', '7d', '30d'];

export interface LoadView {
  resolution: 'raw' | 'hour';
  /** Unix seconds. */
  at: number[];
  load1: Array<number | null>;
  load5: Array<number | null>;
  load15: Array<number | null>;
  /** Hourly points only: the greatest 1-minute load of each hour. */
  peak1: Array<number | null> | null;
  /** Seconds without a sample past which the chart breaks its lines. */
  gapSec: number;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const triple = (v: unknown): [number, number, number] | null =>
  Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))
    ? [v[0], v[1], v[2]]
    : null;

/** Raw samples come about once a minute: a stretch of 5 minutes without one is a break. Hours: a missing hour. */
const RAW_GAP_SEC = 300;
const HOUR_GAP_SEC = 3600;

export function toLoadView(body: unknown): LoadView {
  const o = obj(body);
  const resolution = o.resolution === 'hour' ? 'hour' : 'raw';
  const gapSec = resolution === 'hour' ? HOUR_GAP_SEC : RAW_GAP_SEC;
  const v: LoadView = {
    resolution,
    at: [],
    load1: [],
    load5: [],
    load15: [],
    peak1: resolution === 'hour' ? [] : null,
    gapSec,
  };
  const points = Array.isArray(o.points) ? o.points : [];
  let prev: number | null = null;
  for (const raw of points) {
    const p = obj(raw);
    const load = triple(p.load);
    if (typeof p.at !== 'number' || !load) continue;
    const at = p.at / 1000;
    if (prev !== null && at - prev > gapSec) push(v, prev + gapSec / 2, null, null);
    push(v, at, load, triple(p.max)?.[0] ?? null);
    prev = at;
  }
  return v;
}

function push(v: LoadView, at: number, load: [number, number, number] | null, peak: number | null): void {
  v.at.push(at);
  v.load1.push(load?.[0] ?? null);
  v.load5.push(load?.[1] ?? null);
  v.load15.push(load?.[2] ?? null);
  v.peak1?.push(load ? peak : null);
}

/** How many real points (not breaks) the view holds. */
export const pointCount = (v: LoadView): number => v.load1.filter((x) => x !== null).length;
