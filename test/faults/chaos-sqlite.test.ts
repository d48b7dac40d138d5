/**
 * Short fault run (seconds): the real agent and the real collector (SQLite) behind the fault proxy, with kills,
 * a truncated state file, reboots, resets, wraps, moving interfaces and proxy restarts. Totals must be exact.
 * Replay a failure with TRAFFIC_FAULT_SEED=<seed>. The long version: npm run faults.
 */
import { describe, expect, it } from 'vitest';
import { seedFrom } from '../../src/loadgen/rng.js';
import { formatReport } from './lib/print-report.js';
import { runScenario } from './lib/scenario.js';

describe('fault run, SQLite collector', () => {
  it('loses no byte and counts none twice through kills, torn state, drops and resets', async () => {
    const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);
    const r = await runScenario({ seed, durationMs: 12_000 });
    console.log(formatReport('faults/sqlite (short)', r));
    expect(r.ok, r.diagnosis).toBe(true);
    expect(r.counts.agentKills).toBeGreaterThanOrEqual(3);
    expect(r.counts.collectorKills).toBeGreaterThanOrEqual(1);
    expect(r.counts.truncations).toBe(1);
    expect(r.counts.stateRecovered).toBe(1);
    expect(r.counts.dropped).toBeGreaterThanOrEqual(1);
    expect(r.counts.cut).toBeGreaterThanOrEqual(1);
    expect(r.counts.duplicatesRejected + r.counts.userPushReplays).toBeGreaterThanOrEqual(1);
    // A wall-clock step moves btime without a reboot: only the boot id may say "rebooted".
    expect(r.counts.clockSteps).toBeGreaterThanOrEqual(1);
    expect(r.counts.agentDetected_reboots).toBe(r.counts.reboots);
  }, 90_000);
});
