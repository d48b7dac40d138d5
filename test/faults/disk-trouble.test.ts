/**
 * The agent's state directory on a real tmpfs that goes read-only, then full (with a crash while full), then
 * recovers: counting goes on in memory, nothing new is sent while the state cannot be saved, the log says
 * STATE_WRITE_FAILED then "state is written again", and the totals are exact. Needs root for mount; skipped with a
 * visible message otherwise.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seedFrom } from '../../src/loadgen/rng.js';
import { runDiskTrouble } from './lib/disk-scenario.js';
import { canMount } from './lib/mounts.js';

const cannot = await canMount(join(tmpdir(), `ta-mount-probe-${process.pid}`));
if (cannot) console.warn(`SKIPPING the disk-trouble fault test: ${cannot}`);

describe.skipIf(cannot !== null)('disk trouble under the state directory', () => {
  it('keeps counting in memory through a read-only and a full disk, says so, and loses nothing', async () => {
    const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);
    const r = await runDiskTrouble({ seed, phaseMs: 1500 });
    console.log(
      `faults/disk (short): ${r.ok ? 'EXACT' : 'FAILED'} (seed ${seed}, ${r.seconds.toFixed(1)} s) STATE_WRITE_FAILED=${r.writeFailures} "state is written again"=${r.writeRecoveries} outbox at recovery=${r.outboxAtRecovery.join(',')}\n  ${r.comparison.lines.join('\n  ')}`,
    );
    expect(r.ok, r.diagnosis).toBe(true);
    expect(r.writeFailures).toBeGreaterThanOrEqual(2);
    expect(r.writeRecoveries).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
