/** Opens the store a --db value names: a postgres:// URL or a SQLite file path; runs the migrations. */
import { existsSync } from 'node:fs';
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { PostgresStore, type StoreLogger } from './postgres/postgres-store.js';

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * `create: false` (read-only and registry commands other than `node add`): a SQLite file that does not exist is an
 * error naming it, and neither the file nor its directory is created.
 */
export async function openStore(
  db: string,
  opts: { pgPoolSize?: number; logger?: StoreLogger; create?: boolean; loadSampleGapMs?: number } = {},
): Promise<Store> {
  const loadSampleGapMs = opts.loadSampleGapMs;
  if (isPostgresUrl(db))
    return PostgresStore.open(db, { poolSize: opts.pgPoolSize, logger: opts.logger, loadSampleGapMs });
  if (opts.create === false && db !== ':memory:' && !existsSync(db))
    throw new Error(`no collector database at ${db} (only \`serve\` and \`node add\` create one)`);
  return SqliteStore.open(db, { create: opts.create ?? true, loadSampleGapMs });
}
