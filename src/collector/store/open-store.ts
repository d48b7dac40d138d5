/** Opens the store a --db value names: a postgres:// URL or a SQLite file path; runs the migrations. */
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore } from './postgres/postgres-store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openStore(db: string, opts: { pgPoolSize?: number } = {}): Promise<Store> {
  const store: Store = isPostgresUrl(db) ? new PostgresStore(db, opts.pgPoolSize) : new SqliteStore(db);
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
