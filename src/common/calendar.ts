/**
 * Calendar arithmetic in an IANA time zone, with no dependency but Intl. Pure: the instant is always passed in.
 * Billing periods start at local midnight of a reset day (1-31, clamped to the month's last day); per-user records
 * are booked on the local day they were measured.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/**
 * UTC (the default zone) needs no Intl: Date's UTC getters give the same parts. Intl's time-zone and locale data
 * would otherwise be loaded for it, about 8 MB of the agent's resident memory (docs/benchmarks.md, footprint).
 */
const isUtc = (timeZone: string) => timeZone === 'UTC';

export function isValidTimeZone(timeZone: string): boolean {
  if (isUtc(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false; // Intl throws RangeError for an unknown zone: that is the answer asked for
  }
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export function localParts(ms: number, timeZone: string): LocalParts {
  if (isUtc(timeZone)) {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
    };
  }
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) {
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  }
  return { year: out.year, month: out.month, day: out.day, hour: out.hour, minute: out.minute, second: out.second };
}

/** Offset of the zone from UTC at the instant, in ms (positive east of Greenwich). */
function offsetAt(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant of local midnight on the given local date; where midnight does not exist (a DST gap), the first local instant of that day. */
export function localMidnight(year: number, month: number, day: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day);
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  const p = localParts(t, timeZone);
  if (p.day !== new Date(wall).getUTCDate()) {
    // Skipped into the previous day (gap): step forward to the first instant of the wanted day.
    t += 3_600_000 - (p.minute * 60 + p.second) * 1000;
  }
  return t;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function startOfLocalDay(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  return localMidnight(p.year, p.month, p.day, timeZone);
}

function periodStartIn(year: number, month: number, resetDay: number, timeZone: string): number {
  return localMidnight(year, month, Math.min(resetDay, daysInMonth(year, month)), timeZone);
}

/**
 * The period periodStart found last for each reset day and zone: the agent asks for the same one every tick for a
 * month, the collector for the same few with every heartbeat. Bounded: cleared when a fleet brings more than 256.
 */
const lastPeriods = new Map<string, { start: number; end: number }>();

/** Start of the billing period that contains `ms`. */
export function periodStart(ms: number, resetDay: number, timeZone: string): number {
  const key = `${resetDay} ${timeZone}`;
  const c = lastPeriods.get(key);
  if (c !== undefined && ms >= c.start && ms < c.end) return c.start;
  const start = periodStartUncached(ms, resetDay, timeZone);
  if (lastPeriods.size >= 256) lastPeriods.clear();
  lastPeriods.set(key, { start, end: nextPeriodStart(start, resetDay, timeZone) });
  return start;
}

/** periodStart worked out from the calendar, without the memo (tests compare the two). */
export function periodStartUncached(ms: number, resetDay: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const here = periodStartIn(p.year, p.month, resetDay, timeZone);
  if (here <= ms) return here;
  const prevMonth = p.month === 1 ? 12 : p.month - 1;
  const prevYear = p.month === 1 ? p.year - 1 : p.year;
  return periodStartIn(prevYear, prevMonth, resetDay, timeZone);
}

/** Start of the billing period after the one that starts at `start`. */
export function nextPeriodStart(start: number, resetDay: number, timeZone: string): number {
  const p = localParts(start, timeZone);
  const month = p.month === 12 ? 1 : p.month + 1;
  const year = p.month === 12 ? p.year + 1 : p.year;
  return periodStartIn(year, month, resetDay, timeZone);
}
