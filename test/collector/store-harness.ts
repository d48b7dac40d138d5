/** How the shared store suite reaches each engine: a fresh store plus raw SQL for the checks the interface hides. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { PostgresStore } from '../../src/collector/store/postgres/postgres-store.js';
import type { Store } from '../../src/collector/store/store.js';
import { createTestDatabase } from '../support/pg.js';

export interface StoreHarness {
  store: Store;
  /** A first-column integer of a raw query (counts). */
  scalar(sql: string): Promise<number>;
  exec(sql: string): Promise<void>;
  /** SQL that makes every insert into traffic_hourly fail, and SQL that undoes it. */
  sabotageHourly: { on: string; off: string };
  /** SQL that makes every update of traffic_stats fail (the last write of a heartbeat), and SQL that undoes it. */
  sabotageStats: { on: string; off: string };
  /** A second store on the same database (two collector processes). */
  openAnother(): Promise<Store>;
  cleanup(): Promise<void>;
}

export async function sqliteHarness(): Promise<StoreHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'tc-store-'));
  const path = join(dir, 'collector.db');
  const store = await SqliteStore.open(path);
  const others: Store[] = [];
  return {
    store,
    async scalar(sql) {
      return Number(Object.values(store.db.prepare(sql).get() as object)[0]);
    },
    async exec(sql) {
      store.db.exec(sql);
    },
    sabotageHourly: {
      on: "CREATE TRIGGER tc_sabotage BEFORE INSERT ON traffic_hourly BEGIN SELECT RAISE(ABORT, 'sabotage'); END",
      off: 'DROP TRIGGER tc_sabotage',
    },
    sabotageStats: {
      on: "CREATE TRIGGER tc_sabotage_stats BEFORE UPDATE ON traffic_stats BEGIN SELECT RAISE(ABORT, 'sabotage'); END",
      off: 'DROP TRIGGER tc_sabotage_stats',
    },
    async openAnother() {
      const s = await SqliteStore.open(path);
      others.push(s);
      return s;
    },
    async cleanup() {
      for (const s of others) await s.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function postgresHarness(): Promise<StoreHarness> {
  const db = await createTestDatabase('tc_store');
  const store = await PostgresStore.open(db.url, { poolSize: 8 });
  const others: Store[] = [];
  return {
    store,
    async scalar(sql) {
      return Number(Object.values((await store.pool.query(sql)).rows[0] as object)[0]);
    },
    async exec(sql) {
      await store.pool.query(sql);
    },
    sabotageHourly: {
      on: `CREATE FUNCTION tc_sabotage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'sabotage'; END $$;
           CREATE TRIGGER tc_sabotage BEFORE INSERT ON traffic_hourly FOR EACH ROW EXECUTE FUNCTION tc_sabotage();`,
      off: 'DROP TRIGGER tc_sabotage ON traffic_hourly; DROP FUNCTION tc_sabotage();',
    },
    sabotageStats: {
      on: `CREATE FUNCTION tc_sabotage_stats() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'sabotage'; END $$;
           CREATE TRIGGER tc_sabotage_stats BEFORE UPDATE ON traffic_stats FOR EACH ROW EXECUTE FUNCTION tc_sabotage_stats();`,
      off: 'DROP TRIGGER tc_sabotage_stats ON traffic_stats; DROP FUNCTION tc_sabotage_stats();',
    },
    async openAnother() {
      const s = await PostgresStore.open(db.url, { poolSize: 8 });
      others.push(s);
      return s;
    },
    async cleanup() {
      for (const s of others) await s.close();
      await store.close();
      await db.drop();
    },
  };
}
