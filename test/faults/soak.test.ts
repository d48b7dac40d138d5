/**
 * Short soak (seconds): simulated agents from src/loadgen against the real collector on SQLite. No errors, totals
 * exact, resends answered as duplicates, and the collector's RSS does not run away. The long version: npm run soak.
 */
import { describe, expect, it } from 'vitest';
import { seedFrom } from '../../src/loadgen/rng.js';
import { formatSoak, runSoak } from './lib/soak.js';

describe('soak, short', () => {
  it('takes every heartbeat and push from 100 simulated agents, exactly, with flat memory', async () => {
    const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);
    const agents = 100;
    const rounds = 6;
    const r = await runSoak({ agents, rounds, concurrency: 20, seed });
    console.log(formatSoak('soak (short)', r, agents, rounds));
    expect(r.ok, r.diagnosis).toBe(true);
    expect(r.load.heartbeats).toBe(agents * rounds);
    expect(r.load.duplicates).toBe(r.load.resent);
    expect(r.rss.last).toBeLessThan(r.rss.first * 1.5);
  }, 90_000);
});
