/**
 * The rows of `traffic-agent report`, computed from the rollups in the state. Pure: `now` and the zone are passed in.
 * The average rate of a bucket is its bytes over its length; for the bucket still running (and one the rollups began
 * in) only the time it has covered so far counts, as vnStat does for the current hour, day and month.
 */
import { localMidnight } from '../../common/calendar.js';
import type { Rollups } from '../accounting/rollups.js';

export const REPORT_KINDS = ['hours', 'days', 'months', 'top'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

export interface ReportRow {
  /** The local hour ('YYYY-MM-DD HH:00'), date or month. */
  key: string;
  start: string;
  rx: string;
  tx: string;
  total: string;
  /** The seconds the average is taken over. */
  seconds: number;
  avgBitsPerSec: number;
}

export interface Report {
  timeZone: string;
  since: string;
  /** Counted before the rollups began (a state from an agent without them), so in no bucket. */
  before: { rx: string; tx: string };
  hours?: ReportRow[];
  days?: ReportRow[];
  months?: ReportRow[];
  top?: ReportRow[];
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

function dayBounds(day: string, timeZone: string): [number, number] {
  const [y, m, d] = day.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return [
    localMidnight(y, m, d, timeZone),
    localMidnight(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone),
  ];
}

function monthBounds(month: string, timeZone: string): [number, number] {
  const [y, m] = month.split('-').map(Number);
  return [localMidnight(y, m, 1, timeZone), localMidnight(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1, timeZone)];
}

function hourKey(start: number, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
  });
  const p = Object.fromEntries(f.formatToParts(new Date(start)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${pad2(Number(p.hour))}:00`;
}

function row(
  key: string,
  [start, end]: [number, number],
  rx: string,
  tx: string,
  since: number,
  now: number,
  fullLength: boolean,
): ReportRow {
  const from = fullLength ? start : Math.max(start, since);
  const to = fullLength ? end : Math.min(end, Math.max(now, from + 1000));
  const seconds = Math.max(1, Math.round((to - from) / 1000));
  const total = BigInt(rx) + BigInt(tx);
  return {
    key,
    start: new Date(start).toISOString(),
    rx,
    tx,
    total: total.toString(),
    seconds,
    avgBitsPerSec: Number(total * 8n) / seconds,
  };
}

export function buildReport(r: Rollups, kinds: readonly ReportKind[], now: number, timeZone: string): Report {
  const out: Report = { timeZone, since: new Date(r.since).toISOString(), before: { ...r.before } };
  for (const kind of kinds) {
    if (kind === 'hours')
      out.hours = r.hours.map(([start, rx, tx]) =>
        row(hourKey(start, timeZone), [start, start + 3_600_000], rx, tx, r.since, now, false),
      );
    if (kind === 'days')
      out.days = r.days.map(([day, rx, tx]) => row(day, dayBounds(day, timeZone), rx, tx, r.since, now, false));
    if (kind === 'months')
      out.months = r.months.map(([m, rx, tx]) => row(m, monthBounds(m, timeZone), rx, tx, r.since, now, false));
    // vnStat's top list averages over whole days.
    if (kind === 'top')
      out.top = r.top.map(([day, rx, tx]) => row(day, dayBounds(day, timeZone), rx, tx, r.since, now, true));
  }
  return out;
}
