/**
 * Child process of the collector benches: serves either the real collector app (mode "collector", N nodes
 * registered) or a plain Fastify route that does nothing (mode "noop"); tells the parent its port and node tokens
 * over IPC. The collector's database is a fresh SQLite file, or the PostgreSQL database a postgres:// URL names
 * (argument 4); with N = 0 it registers no nodes (a second collector on a database the first one filled).
 */
import { createWriteStream, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import type { PostgresStore } from '../src/collector/store/postgres/postgres-store.js';

/**
 * The collector as operators run it: the build in dist/ (tsc's output), not src/ through tsx, whose transform wraps
 * every function the code creates in a naming helper (a cost per closure that the shipped collector does not pay).
 * The types come from src/.
 */
const DIST = fileURLToPath(new URL('../dist/collector/', import.meta.url));
const SRC = fileURLToPath(new URL('../src/collector/', import.meta.url));
if (!existsSync(join(DIST, 'app.js')))
  throw new Error('no dist/collector/app.js: build first (npx tsc -p tsconfig.json)');
const newest = (dir: string): number =>
  Math.max(...readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => statSync(join(dir, f)).mtimeMs));
if (newest(SRC) > statSync(join(DIST, 'app.js')).mtimeMs)
  console.warn('bench: src/collector is newer than dist/: this measures the last build (npx tsc -p tsconfig.json)');
const dist = <T>(path: string): Promise<T> => import(join(DIST, path)) as Promise<T>;
const { buildApp } = await dist<typeof import('../src/collector/app.js')>('app.js');
const { createLogger } = await dist<typeof import('../src/collector/logger.js')>('logger.js');
const { validateConfig } = await dist<typeof import('../src/collector/config.js')>('config.js');
const { openStore } = await dist<typeof import('../src/collector/store/open-store.js')>('store/open-store.js');
const { SqliteStore } =
  await dist<typeof import('../src/collector/store/sqlite/sqlite-store.js')>('store/sqlite/sqlite-store.js');
const { generateToken, hashToken } = await dist<typeof import('../src/collector/tokens.js')>('tokens.js');

const mode = process.argv[2];
const nodes = Number(process.argv[3] ?? 100);
/** "off", or a log level: the collector logs with its production logger at that level into /dev/null. */
const log = process.argv[4] ?? 'off';
const dir = mkdtempSync(join(tmpdir(), 'tc-bench-'));
/** A postgres:// URL, or "sqlite" for a fresh file in `dir`. */
const db = process.argv[5] && process.argv[5] !== 'sqlite' ? process.argv[5] : join(dir, 'collector.db');

// The parent went away (crashed, killed): do not outlive it holding its terminal and a port.
process.on('disconnect', () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});

async function main() {
  if (mode === 'noop') {
    const app = Fastify({ logger: false });
    app.post('/noop', async () => ({ ok: true }));
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    process.send?.({ address, tokens: [] });
    return;
  }
  const config = validateConfig({
    db,
    pushBodyLimitBytes: 64 * 1024 * 1024,
    authFailuresPerMinute: 1_000_000,
    maxEventLoopDelayMs: 0, // measure the work, not the back-pressure (bench/collector-flood.ts measures that)
    ...(log === 'off' ? {} : { logLevel: log }),
  });
  // BENCH_LOAD_GAP_SEC: the least time between two kept load samples of a node (config loadSampleMinGapSec; the
  // store's default, 50 s, when unset). 0 keeps every heartbeat's load: the most a heartbeat can cost.
  const gap = process.env.BENCH_LOAD_GAP_SEC;
  const store = await openStore(db, {
    pgPoolSize: config.pgPoolSize,
    loadSampleGapMs: gap === undefined ? undefined : Number(gap) * 1000,
  });
  const tokens: Array<{ id: number; token: string }> = [];
  for (let i = 0; i < nodes; i++) {
    const token = generateToken();
    const n = await store.addNode({
      name: `bench-${i}`,
      tokenHash: hashToken(token),
      rate: '1',
      resetDay: 1,
      timezone: 'UTC',
      createdAt: Date.now(),
    });
    tokens.push({ id: n.id, token });
  }
  const logger = log === 'off' ? false : createLogger(log, createWriteStream('/dev/null'));
  const app = await buildApp({ store, config, logger, adminToken: 'bench-admin-token-123456' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ address, tokens });
  process.on('message', async (m) => {
    if (m !== 'count') return;
    const q = `SELECT (SELECT COUNT(*) FROM traffic_records) AS records, (SELECT COUNT(*) FROM stat_user) AS rows,
      (SELECT COUNT(*) FROM load_samples) AS samples`;
    const r =
      store instanceof SqliteStore
        ? (store.db.prepare(q).get() as { records: number; rows: number; samples: number })
        : ((await (store as PostgresStore).pool.query(q)).rows[0] as {
            records: string;
            rows: string;
            samples: string;
          });
    if (nodes > 1) console.log(`load samples stored ${r.samples} (BENCH_LOAD_GAP_SEC=${gap ?? 'unset: 50'})`);
    process.send?.({ records: Number(r.records), userRows: Number(r.rows) });
  });
  process.on('SIGTERM', async () => {
    await app.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

void main();
