import pg from 'pg';
import { expect, it } from 'vitest';
import { PostgresStore } from '../../src/collector/store/postgres/postgres-store.js';
import { PG_SKIP_REASON, createTestDatabase, warnIfNoPg } from '../support/pg.js';
import { until } from '../support/until.js';
import { storeContract } from './store-contract.js';
import { storeLoadContract } from './store-contract-load.js';
import { postgresHarness } from './store-harness.js';

warnIfNoPg('the store contract suite');
storeContract('PostgreSQL', postgresHarness, PG_SKIP_REASON);
storeLoadContract('PostgreSQL', postgresHarness, PG_SKIP_REASON);

it.skipIf(Boolean(PG_SKIP_REASON))(
  'PostgreSQL: an idle connection cut by the server is logged with a code, and the store keeps working',
  async () => {
    const db = await createTestDatabase('tc_poolerr');
    const warnings: Array<{ obj: Record<string, unknown>; msg: string }> = [];
    const store = await PostgresStore.open(db.url, {
      poolSize: 2,
      logger: { warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }) },
    });
    try {
      await store.ping(); // one idle client in the pool now
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      );
      await admin.end();
      await until(() => warnings.length > 0, 'the pool error to be logged');
      expect(warnings[0]).toMatchObject({ obj: { code: 'TC_DB_UNAVAILABLE' }, msg: 'idle database connection failed' });
      await store.ping();
    } finally {
      await store.close();
      await db.drop();
    }
  },
);
