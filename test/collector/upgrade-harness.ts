/**
 * A database as an older collector left it: the migrations up to `upTo` applied by hand, rows written in that
 * schema's SQL (bytea literals as '\x01', rewritten for SQLite), then opened by today's store (which migrates it) and
 * handed to `check`. One for each engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS as PG_MIGRATIONS } from '../../src/collector/store/postgres/sql.js';
import { PostgresStore } from '../../src/collector/store/postgres/postgres-store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../../src/collector/store/sqlite/sql.js';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/collector/store/store.js';
import { createTestDatabase } from '../support/pg.js';

export async function upgradeSqlite(upTo: number, rows: string, check: (s: Store) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `tc-up${upTo}-`));
  try {
    const path = join(dir, 'c.db');
    const db = new Database(path);
    db.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    for (const m of SQLITE_MIGRATIONS.filter((x) => x.version <= upTo)) {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
    }
    db.exec(rows.replace(/'\\x([0-9a-f]+)'/g, "x'$1'"));
    db.close();
    const s = await SqliteStore.open(path);
    try {
      await check(s);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function upgradePostgres(upTo: number, rows: string, check: (s: Store) => Promise<void>): Promise<void> {
  const tdb = await createTestDatabase(`tc_up${upTo}`);
  try {
    const c = new pg.Client({ connectionString: tdb.url });
    await c.connect();
    await c.query(
      'CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)',
    );
    for (const m of PG_MIGRATIONS.filter((x) => x.version <= upTo)) {
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [m.version, m.name]);
    }
    await c.query(rows);
    await c.end();
    const s = await PostgresStore.open(tdb.url, { poolSize: 2 });
    try {
      await check(s);
    } finally {
      await s.close();
    }
  } finally {
    await tdb.drop();
  }
}
