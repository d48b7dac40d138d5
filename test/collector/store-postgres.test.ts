import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/collector/store/postgres/postgres-store.js';
import { PG_SKIP_REASON, createTestDatabase, warnIfNoPg } from '../support/pg.js';
import { until } from '../support/until.js';
import { hashToken } from '../../src/collector/tokens.js';
import { hb, rec, storeContract } from './store-contract.js';
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

describe.skipIf(Boolean(PG_SKIP_REASON))('PostgreSQL group commit of heartbeats', () => {
  const addNodes = async (s: PostgresStore, n: number, prefix: string) => {
    const out = [];
    for (let i = 0; i < n; i++)
      out.push(
        await s.addNode({
          name: `${prefix}${i}`,
          tokenHash: hashToken(`${prefix}-${i}`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: 1,
        }),
      );
    return out;
  };

  it('heartbeats of many nodes arriving together are written by one transaction, each counted once', async () => {
    const h = await postgresHarness();
    try {
      const nodes = await addNodes(h.store as PostgresStore, 50, 'grp');
      const results = await Promise.all(
        nodes.map((n, i) => h.store.ingestHeartbeat(n.id, hb('00000000000000d1', [rec(1, i + 1, 1)]), Date.now())),
      );
      for (const r of results) expect(r).toMatchObject({ acked: [1], inserted: 1, duplicates: 0 });
      // xmin names the transaction that wrote a row: one group, one transaction, one WAL flush.
      expect(await h.scalar('SELECT COUNT(DISTINCT xmin::text) FROM traffic_records')).toBe(1);
      for (const [i, n] of nodes.entries()) expect((await h.store.getNodeStats(n.id))?.totalRx).toBe(BigInt(i + 1));
      // The same heartbeats again (lost answers, resent): all duplicates, nothing counted twice.
      const again = await Promise.all(
        nodes.map((n, i) => h.store.ingestHeartbeat(n.id, hb('00000000000000d1', [rec(1, i + 1, 1)]), Date.now())),
      );
      for (const r of again) expect(r).toMatchObject({ acked: [1], inserted: 0, duplicates: 1 });
      expect(await h.scalar('SELECT SUM(total_rx) FROM traffic_stats')).toBe((50 * 51) / 2);
      // Each node's load sample and marks, as a heartbeat alone writes them (the resend adds none).
      expect(await h.scalar('SELECT COUNT(*) FROM load_samples')).toBe(50);
      expect(await h.scalar('SELECT COUNT(DISTINCT node_id) FROM load_samples')).toBe(50);
      expect(await h.scalar('SELECT COUNT(*) FROM traffic_stats WHERE load_sampled_at IS NOT NULL')).toBe(50);
    } finally {
      await h.cleanup();
    }
  });

  it('when one heartbeat fails the whole group transaction, each is applied again alone', async () => {
    const h = await postgresHarness();
    try {
      const nodes = await addNodes(h.store as PostgresStore, 3, 'gf');
      await h.exec(`CREATE FUNCTION tc_fail_one() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.node_id = ${nodes[1].id} THEN RAISE EXCEPTION 'whole'; END IF; RETURN NEW; END $$;
        CREATE TRIGGER tc_fail_one BEFORE INSERT ON traffic_hourly FOR EACH ROW EXECUTE FUNCTION tc_fail_one();`);
      const results = await Promise.allSettled(
        nodes.map((n) => h.store.ingestHeartbeat(n.id, hb('00000000000000c1', [rec(1, 7, 7)]), Date.now())),
      );
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'whole' });
      expect(await h.scalar('SELECT COUNT(*) FROM traffic_records')).toBe(2);
      expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${nodes[1].id}`)).toBe(0);
      expect(await h.scalar(`SELECT COUNT(*) FROM epoch_high_water WHERE node_id = ${nodes[1].id}`)).toBe(0);
      expect((await h.store.getNodeStats(nodes[0].id))?.totalRx).toBe(7n);
      expect((await h.store.getNodeStats(nodes[1].id))?.totalRx).toBe(0n);
      expect((await h.store.getNodeStats(nodes[2].id))?.totalRx).toBe(7n);
    } finally {
      await h.cleanup();
    }
  });

  it('close() commits the heartbeats already taken before the pool ends', async () => {
    const db = await createTestDatabase('tc_grpclose');
    const store = await PostgresStore.open(db.url, { poolSize: 3 });
    try {
      const nodes = await addNodes(store, 20, 'gc');
      const pending = nodes.map((n) => store.ingestHeartbeat(n.id, hb('00000000000000e1', [rec(1, 5, 5)]), Date.now()));
      await store.close();
      for (const r of await Promise.all(pending)) expect(r.inserted).toBe(1);
      const check = await PostgresStore.open(db.url, { poolSize: 1 });
      expect(Number((await check.pool.query('SELECT SUM(total_rx) AS s FROM traffic_stats')).rows[0].s)).toBe(100);
      await check.close();
    } finally {
      await db.drop();
    }
  });
});
