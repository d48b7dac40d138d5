/** Opens the store a --db value names: a postgres:// URL or a SQLite file path; runs the migrations. */
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore, type StoreLogger } from './postgres/postgres-store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

export async function openStore(db: string, opts: { pgPoolSize?: number; logger?: StoreLogger } = {}): Promise<Store> {
  return isPostgresUrl(db)
    ? PostgresStore.open(db, { poolSize: opts.pgPoolSize, logger: opts.logger })
    : SqliteStore.open(db);
}
