/**
 * Short fault run on PostgreSQL: two collector processes on one fresh database behind the fault proxy, taken in
 * turn, each SIGKILLed and restarted at random. Skipped, visibly, only when TRAFFIC_TEST_PG_URL is unset.
 */
import { describe, expect, it } from 'vitest';
import { seedFrom } from '../../src/loadgen/rng.js';
import { createTestDatabase, PG_SKIP_REASON, warnIfNoPg } from '../support/pg.js';
import { formatReport } from './lib/print-report.js';
import { runScenario } from './lib/scenario.js';

warnIfNoPg('the fault run with two collectors');

describe.skipIf(PG_SKIP_REASON !== undefined)('fault run, two collectors on PostgreSQL', () => {
  it('loses no byte and counts none twice while two collectors alternate and crash', async () => {
    const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);
    const db = await createTestDatabase('faults');
    try {
      // 64-bit counters here (32-bit in the SQLite run): a reset of a counter just below 2^32 is never a wrap.
      const r = await runScenario({ seed, durationMs: 12_000, db: db.url, collectors: 2, counterBits: 64 });
      console.log(formatReport('faults/postgres x2 (short)', r));
      expect(r.ok, r.diagnosis).toBe(true);
      expect(r.counts.collectorKills).toBeGreaterThanOrEqual(1);
      expect(r.counts.agentKills).toBeGreaterThanOrEqual(3);
      expect(r.counts.stateRecovered).toBe(1);
      expect(r.counts.dropped).toBeGreaterThanOrEqual(1);
      expect(r.counts.resets).toBeGreaterThanOrEqual(1);
      expect(r.counts.agentDetected_resets).toBeGreaterThanOrEqual(r.counts.resets);
      expect(r.counts.agentDetected_wraps ?? 0).toBe(0);
      expect(r.counts.clockSteps).toBeGreaterThanOrEqual(1);
      expect(r.counts.agentDetected_reboots).toBe(r.counts.reboots);
    } finally {
      await db.drop();
    }
  }, 100_000);
});
