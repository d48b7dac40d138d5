/**
 * periodStart keeps the last period it found (the agent asks for the same one every tick): what it answers from that
 * memo must be what it computes afresh, at every instant, at the edges of periods and across DST changes.
 */
import { describe, expect, it } from 'vitest';
import { nextPeriodStart, periodStart } from '../../src/common/calendar.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
const RESET_DAYS = [1, 15, 31];

function instants(): number[] {
  const out: number[] = [];
  // 2024-2025 every 13 h 7 min (so the hour of day moves), plus both sides of every period edge below.
  for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2026, 0, 1); t += 13 * 3_600_000 + 7 * 60_000) out.push(t);
  return out;
}

describe('periodStart memo', () => {
  it('answers from its memo exactly what it computes afresh', () => {
    const combos = ZONES.flatMap((zone) => RESET_DAYS.map((day) => ({ zone, day })));
    const times = instants();
    for (const { zone, day } of combos) {
      // Afresh: another zone asked in between, so every call misses the memo.
      const fresh = new Map<number, number>();
      const edges = new Set<number>();
      for (const t of times) {
        periodStart(t, day, zone === 'UTC' ? 'Europe/Berlin' : 'UTC');
        const start = periodStart(t, day, zone);
        fresh.set(t, start);
        edges.add(start);
      }
      for (const e of edges) {
        periodStart(e, day, zone === 'UTC' ? 'Europe/Berlin' : 'UTC');
        fresh.set(e - 1, periodStart(e - 1, day, zone));
        periodStart(e, day, zone === 'UTC' ? 'Europe/Berlin' : 'UTC');
        fresh.set(e, periodStart(e, day, zone));
      }
      // In time order, as a running agent asks: most calls hit the memo.
      for (const t of [...fresh.keys()].sort((a, b) => a - b)) {
        const start = periodStart(t, day, zone);
        expect(start, `${zone} day ${day} at ${new Date(t).toISOString()}`).toBe(fresh.get(t));
        expect(start).toBeLessThanOrEqual(t);
        expect(nextPeriodStart(start, day, zone)).toBeGreaterThan(t);
      }
      expect(edges.size).toBeGreaterThanOrEqual(24);
    }
  });
});
