/**
 * npm run faults: the long fault runs, one after the other, each printing what it injected and expected vs got.
 *   1. SQLite collector, two agents (nodes), TRAFFIC_FAULT_MINUTES of chaos (default 3)
 *   2. PostgreSQL, two collectors alternating behind the fault proxy (a throwaway cluster is started when
 *      TRAFFIC_TEST_PG_URL is unset and PostgreSQL 15 is installed; skipped with a message otherwise)
 *   3. disk trouble (tmpfs state dir read-only, then full), longer phases; needs root
 * TRAFFIC_FAULT_SEED=<n> replays a run. Exit code 1 when any run is not exact.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedFrom } from '../src/loadgen/rng.js';
import { runDiskTrouble } from '../test/faults/lib/disk-scenario.js';
import { canMount } from '../test/faults/lib/mounts.js';
import { formatReport } from '../test/faults/lib/print-report.js';
import { runScenario } from '../test/faults/lib/scenario.js';

const minutes = Number(process.env.TRAFFIC_FAULT_MINUTES ?? 3);
const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);
const durationMs = Math.round(minutes * 60_000);
const verbose = process.env.TRAFFIC_FAULT_VERBOSE === '1';
const log = (s: string) => (verbose || !s.startsWith('  ') ? console.log(s) : undefined);
let failed = false;

console.log(
  `npm run faults: seed ${seed}, ${minutes} min of chaos per run (TRAFFIC_FAULT_MINUTES, TRAFFIC_FAULT_SEED, TRAFFIC_FAULT_VERBOSE=1)`,
);

const a = await runScenario({ seed, durationMs, nodes: 2, eventChance: 0.03, log });
console.log(formatReport('faults/sqlite (long)', a));
failed ||= !a.ok;

let pgStarted = false;
const PG_STATE = `/tmp/traffic-pg-faults-${process.pid}.state`;
if (!process.env.TRAFFIC_TEST_PG_URL && existsSync('/usr/lib/postgresql/15/bin/initdb')) {
  const out = execFileSync('bash', ['scripts/pg-throwaway.sh', 'start'], {
    env: { ...process.env, TRAFFIC_PG_STATE: PG_STATE },
    encoding: 'utf8',
  });
  const m = /TRAFFIC_TEST_PG_URL=(\S+)/.exec(out);
  if (m) {
    process.env.TRAFFIC_TEST_PG_URL = m[1];
    pgStarted = true;
  }
}
try {
  if (process.env.TRAFFIC_TEST_PG_URL) {
    // Imported here: test/support/pg.ts reads TRAFFIC_TEST_PG_URL when it loads, which is after the start above.
    const { createTestDatabase } = await import('../test/support/pg.js');
    const db = await createTestDatabase('faults');
    try {
      const b = await runScenario({
        seed: seed + 1,
        durationMs,
        db: db.url,
        collectors: 2,
        nodes: 2,
        eventChance: 0.03,
        log,
      });
      console.log(formatReport('faults/postgres x2 (long)', b));
      failed ||= !b.ok;
    } finally {
      await db.drop();
    }
  } else {
    console.log('faults/postgres x2 (long): SKIPPED — TRAFFIC_TEST_PG_URL unset and no PostgreSQL 15 to start');
  }
} finally {
  if (pgStarted)
    execFileSync('bash', ['scripts/pg-throwaway.sh', 'stop'], {
      env: { ...process.env, TRAFFIC_PG_STATE: PG_STATE },
      stdio: 'ignore',
    });
}

const cannot = await canMount(join(tmpdir(), `ta-mount-probe-${process.pid}`));
if (cannot) {
  console.log(`faults/disk (long): SKIPPED — ${cannot}`);
} else {
  const d = await runDiskTrouble({ seed: seed + 2, phaseMs: Math.min(60_000, durationMs / 6), log });
  console.log(
    `faults/disk (long): ${d.ok ? 'EXACT' : 'FAILED'} (seed ${d.seed}, ${d.seconds.toFixed(1)} s) STATE_WRITE_FAILED=${d.writeFailures} "state is written again"=${d.writeRecoveries} outbox at recovery=${d.outboxAtRecovery.join(',')}`,
  );
  for (const l of d.comparison.lines) console.log(`  ${l}`);
  if (!d.ok) console.log(d.diagnosis);
  failed ||= !d.ok;
}
process.exit(failed ? 1 : 0);
