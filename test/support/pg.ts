/**
 * PostgreSQL for tests: TRAFFIC_TEST_PG_URL (from `eval "$(bash scripts/pg-throwaway.sh)"`) names a server where
 * each test run creates its own fresh database, so runs never see each other's rows.
 *
 *   pgUrl                  the env value, or undefined
 *   PG_SKIP_REASON         why PostgreSQL tests are skipped (undefined when they run)
 *   warnIfNoPg(what)       console.warn once per file when skipping
 *   createTestDatabase()   -> { url, drop() }: CREATE DATABASE tc_<random> on that server; drop() removes it (FORCE)
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const pgUrl: string | undefined = process.env.TRAFFIC_TEST_PG_URL || undefined;
export const PG_SKIP_REASON: string | undefined = pgUrl
  ? undefined
  : 'TRAFFIC_TEST_PG_URL is not set (start one: eval "$(bash scripts/pg-throwaway.sh)")';

export function warnIfNoPg(what: string): void {
  if (PG_SKIP_REASON) console.warn(`SKIPPING ${what} on PostgreSQL: ${PG_SKIP_REASON}`);
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'tc'): Promise<TestDatabase> {
  if (!pgUrl) throw new Error(PG_SKIP_REASON);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
