/**
 * A throwaway PostgreSQL 15 for one bench run (scripts/pg-throwaway.sh with its own state file), with PostgreSQL's
 * durable defaults (fsync and synchronous_commit on, as production runs it), unless --pg-fast asks for the tests'
 * settings. `database(name)` creates a fresh database on it; `stop()` stops the cluster and deletes its directory.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface BenchPg {
  url: string;
  durable: boolean;
  database(name: string): Promise<string>;
  stop(): void;
}

const SCRIPT = fileURLToPath(new URL('../scripts/pg-throwaway.sh', import.meta.url));

export function startBenchPg(durable = !process.argv.includes('--pg-fast')): BenchPg {
  const env = {
    ...process.env,
    TRAFFIC_PG_STATE: `/tmp/traffic-pg-bench-${process.pid}.state`,
    TRAFFIC_PG_DURABLE: durable ? '1' : '0',
  };
  const out = execFileSync('bash', [SCRIPT, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /TRAFFIC_TEST_PG_URL=(\S+)/.exec(out);
  if (!m) throw new Error(`scripts/pg-throwaway.sh printed no URL: ${out}`);
  const url = m[1];
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    execFileSync('bash', [SCRIPT, 'stop'], { env, stdio: 'ignore' });
  };
  process.once('exit', stop);
  return {
    url,
    durable,
    stop,
    async database(name: string) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${name}`);
      } finally {
        await c.end();
      }
      const u = new URL(url);
      u.pathname = `/${name}`;
      return u.toString();
    },
  };
}
