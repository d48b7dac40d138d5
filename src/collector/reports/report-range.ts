/**
 * The days a billing report covers: a month (`period=YYYY-MM`) or whole days (`from=YYYY-MM-DD&to=YYYY-MM-DD`,
 * both included), in one IANA zone. Per-user rows are daily (local day start), so a range that cuts a day cannot be
 * answered exactly: anything but whole dates is refused, never guessed.
 */
import { daysInMonth, isValidTimeZone, localMidnight, localParts } from '../../common/calendar.js';
import { CollectorError } from '../errors.js';

export interface ReportRange {
  /** Local midnight of the first day, unix ms. */
  fromMs: number;
  /** Local midnight after the last day, unix ms (exclusive). */
  toMs: number;
  timezone: string;
  /** First and last day, YYYY-MM-DD. */
  firstDay: string;
  lastDay: string;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;
/** Longest range one report covers (a few years of daily rows). */
export const MAX_REPORT_DAYS = 3 * 366;

function bad(message: string): never {
  throw new CollectorError('TC_BAD_REPORT', message);
}

interface Ymd {
  y: number;
  m: number;
  d: number;
}

function parseDate(value: string, name: string): Ymd {
  const m = DATE.exec(value);
  if (!m) bad(`${name}=${value}: a report takes whole days as YYYY-MM-DD (per-user records are daily)`);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) bad(`${name}=${value}: no such date`);
  return { y, m: mo, d };
}

const ymd = (v: Ymd) => `${v.y}-${String(v.m).padStart(2, '0')}-${String(v.d).padStart(2, '0')}`;
/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDate(ms: number, timeZone: string): string {
  const p = localParts(ms, timeZone);
  return ymd({ y: p.year, m: p.month, d: p.day });
}

const nextDay = (v: Ymd): Ymd =>
  v.d < daysInMonth(v.y, v.m)
    ? { ...v, d: v.d + 1 }
    : v.m < 12
      ? { y: v.y, m: v.m + 1, d: 1 }
      : { y: v.y + 1, m: 1, d: 1 };

export function parseReportRange(q: { period?: string; from?: string; to?: string; timezone: string }): ReportRange {
  const timezone = q.timezone;
  if (!isValidTimeZone(timezone)) bad(`timezone: unknown IANA time zone "${timezone}"`);
  let first: Ymd;
  let last: Ymd;
  if (q.period !== undefined && q.period !== '') {
    if (q.from || q.to) bad('give either period=YYYY-MM or from/to, not both');
    const m = MONTH.exec(q.period);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) bad(`period=${q.period}: a month as YYYY-MM`);
    const [y, mo] = [Number(m[1]), Number(m[2])];
    first = { y, m: mo, d: 1 };
    last = { y, m: mo, d: daysInMonth(y, mo) };
  } else {
    if (!q.from || !q.to) bad('a report needs period=YYYY-MM, or both from=YYYY-MM-DD and to=YYYY-MM-DD');
    first = parseDate(q.from, 'from');
    last = parseDate(q.to, 'to');
  }
  const fromMs = localMidnight(first.y, first.m, first.d, timezone);
  const after = nextDay(last);
  const toMs = localMidnight(after.y, after.m, after.d, timezone);
  if (toMs <= fromMs) bad(`to=${ymd(last)} is before from=${ymd(first)}`);
  if ((toMs - fromMs) / 86_400_000 > MAX_REPORT_DAYS + 1) bad(`a report covers at most ${MAX_REPORT_DAYS} days`);
  return { fromMs, toMs, timezone, firstDay: ymd(first), lastDay: ymd(last) };
}
