/**
 * A throwaway PostgreSQL 15 for one bench run (scripts/pg-throwaway.sh with its own state file), with PostgreSQL's
 * durable defaults (fsync and synchronous_commit on, as production runs it), unless --pg-fast asks for the tests'
 * settings. `database(name)` creates a fresh database on it; `stop()` stops the cluster and deletes its directory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface BenchPg {
  url: string;
  durable: boolean;
  /** The cluster's postmaster (the parent of every PostgreSQL process of it). */
  postmasterPid(): number;
  /** Statement statistics (pg_stat_statements) when started with `statements`, else none. */
  statements(db: string): Promise<Array<{ query: string; calls: number; meanMs: number; totalMs: number }>>;
  database(name: string): Promise<string>;
  stop(): void;
}

const SCRIPT = fileURLToPath(new URL('../scripts/pg-throwaway.sh', import.meta.url));

export function startBenchPg(
  durable = !process.argv.includes('--pg-fast'),
  statements = process.argv.includes('--pg-statements'),
): BenchPg {
  const state = `/tmp/traffic-pg-bench-${process.pid}.state`;
  const env = {
    ...process.env,
    TRAFFIC_PG_STATE: state,
    TRAFFIC_PG_DURABLE: durable ? '1' : '0',
    TRAFFIC_PG_OPTS: statements ? '-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all' : '',
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
  const dir = /^DIR=(.*)$/m.exec(readFileSync(state, 'utf8'))?.[1] ?? '';
  let pmPid = 0;
  return {
    url,
    durable,
    stop,
    postmasterPid() {
      pmPid ||= Number(readFileSync(`${dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
      return pmPid;
    },
    async statements(db: string) {
      if (!statements) return [];
      const u = new URL(url);
      u.pathname = `/${db}`;
      const c = new pg.Client({ connectionString: u.toString() });
      await c.connect();
      try {
        await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
        const r = await c.query(
          `SELECT query, calls::int AS calls, mean_exec_time AS "meanMs", total_exec_time AS "totalMs"
           FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 12`,
        );
        return r.rows;
      } finally {
        await c.end();
      }
    },
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
