/**
 * periodStart keeps the last period it found per reset day and zone (the agent asks for the same one every tick, the
 * collector for the same few with every heartbeat): what it answers from that memo must be what the calendar gives
 * afresh (periodStartUncached), at every instant, at both sides of every period edge and across DST changes, with
 * reset days and zones interleaved as a collector's heartbeats come.
 */
import { describe, expect, it } from 'vitest';
import { nextPeriodStart, periodStart, periodStartUncached } from '../../src/common/calendar.js';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
const RESET_DAYS = [1, 15, 31];
const COMBOS = ZONES.flatMap((zone) => RESET_DAYS.map((day) => ({ zone, day })));

describe('periodStart memo', () => {
  it('answers from its memo exactly what the calendar gives afresh', () => {
    const times: number[] = [];
    // 2024-2025 every 13 h 7 min (so the hour of day moves), in time order as heartbeats come.
    for (let t = Date.UTC(2024, 0, 1); t < Date.UTC(2026, 0, 1); t += 13 * 3_600_000 + 7 * 60_000) times.push(t);
    const edges = new Map<string, Set<number>>();
    for (const t of times) {
      for (const { zone, day } of COMBOS) {
        const start = periodStart(t, day, zone);
        expect(start, `${zone} day ${day} at ${new Date(t).toISOString()}`).toBe(periodStartUncached(t, day, zone));
        expect(start).toBeLessThanOrEqual(t);
        expect(nextPeriodStart(start, day, zone)).toBeGreaterThan(t);
        const key = `${day} ${zone}`;
        if (!edges.has(key)) edges.set(key, new Set());
        edges.get(key)?.add(start);
      }
    }
    // Both sides of every edge, each asked right after the other (the memo then holds the other period).
    for (const { zone, day } of COMBOS) {
      const seen = [...(edges.get(`${day} ${zone}`) ?? [])];
      expect(seen.length).toBeGreaterThanOrEqual(24);
      for (const e of seen) {
        for (const t of [e - 1, e, e - 1, e + 1])
          expect(periodStart(t, day, zone)).toBe(periodStartUncached(t, day, zone));
      }
    }
  });
});
