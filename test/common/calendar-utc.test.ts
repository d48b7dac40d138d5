/**
 * The UTC zone takes a path without Intl (src/common/calendar.ts, to keep Intl's data out of the agent's memory): its
 * answers must be exactly Intl's, at ordinary instants and at the edges of seconds, days, months, leap days and years.
 */
import { describe, expect, it } from 'vitest';
import { isValidTimeZone, localParts, periodStart } from '../../src/common/calendar.js';

const intl = new Intl.DateTimeFormat('en-US', {
  timeZone: 'UTC',
  hourCycle: 'h23',
  year: 'numeric',
  month: 'numeric',
  day: 'numeric',
  hour: 'numeric',
  minute: 'numeric',
  second: 'numeric',
});

function intlParts(ms: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of intl.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = Number(p.value);
  return out;
}

function instants(): number[] {
  const out: number[] = [];
  // 1970 to 2100 in steps that fall on every hour, minute and second over time (a prime number of ms).
  for (let t = 0; t < Date.UTC(2100, 0, 1); t += 86_400_000 * 3 + 3_600_000 * 5 + 60_000 * 7 + 11_003) out.push(t);
  for (const [y, m, d] of [
    [2024, 1, 29],
    [2024, 2, 1],
    [2023, 11, 31],
    [2000, 1, 29],
    [2100, 1, 28],
  ]) {
    const midnight = Date.UTC(y, m, d);
    out.push(midnight - 1, midnight, midnight + 1, midnight + 999, midnight + 1000, midnight - 1000);
  }
  return out;
}

describe('calendar in UTC without Intl', () => {
  it("gives Intl's local parts at every instant tried", () => {
    const tried = instants();
    expect(tried.length).toBeGreaterThan(10_000);
    for (const t of tried) expect(localParts(t, 'UTC'), new Date(t).toISOString()).toEqual(intlParts(t));
  });

  it('starts billing periods at UTC midnight of the reset day, clamped to the month', () => {
    expect(periodStart(Date.UTC(2024, 1, 29, 12), 31, 'UTC')).toBe(Date.UTC(2024, 1, 29));
    expect(periodStart(Date.UTC(2024, 2, 1), 31, 'UTC')).toBe(Date.UTC(2024, 1, 29));
    expect(periodStart(Date.UTC(2024, 2, 31) - 1, 31, 'UTC')).toBe(Date.UTC(2024, 1, 29));
    expect(periodStart(Date.UTC(2024, 2, 31), 31, 'UTC')).toBe(Date.UTC(2024, 2, 31));
    expect(periodStart(Date.UTC(2025, 0, 14, 23, 59, 59, 999), 15, 'UTC')).toBe(Date.UTC(2024, 11, 15));
  });

  it('still asks Intl about every other zone', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Berlin')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(localParts(Date.UTC(2024, 6, 1, 12), 'Europe/Berlin').hour).toBe(14);
  });
});
