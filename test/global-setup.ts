/**
 * Once per `npm test`: when no TRAFFIC_TEST_PG_URL is given and PostgreSQL 15 is installed, start a throwaway
 * cluster (scripts/pg-throwaway.sh) so the PostgreSQL half of the suite runs on any machine that can run it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const STATE = `/tmp/traffic-pg-vitest-${process.pid}.state`;
let started = false;

export function setup(): void {
  if (process.env.TRAFFIC_TEST_PG_URL) return;
  if (!existsSync('/usr/lib/postgresql/15/bin/initdb')) {
    console.warn(
      '\n*** PostgreSQL 15 is not installed and TRAFFIC_TEST_PG_URL is unset: the PostgreSQL tests will be SKIPPED ***\n',
    );
    return;
  }
  try {
    const out = execFileSync('bash', ['scripts/pg-throwaway.sh', 'start'], {
      env: { ...process.env, TRAFFIC_PG_STATE: STATE },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const m = /TRAFFIC_TEST_PG_URL=(\S+)/.exec(out);
    if (m) {
      process.env.TRAFFIC_TEST_PG_URL = m[1];
      started = true;
    }
  } catch (err) {
    console.warn(
      `\n*** could not start a throwaway PostgreSQL (${(err as Error).message}): the PostgreSQL tests will be SKIPPED ***\n`,
    );
  }
}

export function teardown(): void {
  if (started)
    execFileSync('bash', ['scripts/pg-throwaway.sh', 'stop'], {
      env: { ...process.env, TRAFFIC_PG_STATE: STATE },
      stdio: 'inherit',
    });
}
