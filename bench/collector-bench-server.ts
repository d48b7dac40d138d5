/**
 * Child process of the collector benches: serves either the real collector app on a fresh SQLite file
 * (mode "collector", N nodes registered) or a plain Fastify route that does nothing (mode "noop"); tells the parent
 * its port and node tokens over IPC.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createWriteStream } from 'node:fs';
import { buildApp } from '../src/collector/app.js';
import { createLogger } from '../src/collector/logger.js';
import { validateConfig } from '../src/collector/config.js';
import { SqliteStore } from '../src/collector/store/sqlite/sqlite-store.js';
import { generateToken, hashToken } from '../src/collector/tokens.js';

const mode = process.argv[2];
const nodes = Number(process.argv[3] ?? 100);
/** "off", or a log level: the collector logs with its production logger at that level into /dev/null. */
const log = process.argv[4] ?? 'off';
const dir = mkdtempSync(join(tmpdir(), 'tc-bench-'));

async function main() {
  if (mode === 'noop') {
    const app = Fastify({ logger: false });
    app.post('/noop', async () => ({ ok: true }));
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    process.send?.({ address, tokens: [] });
    return;
  }
  // BENCH_LOAD_GAP_SEC: the least time between two kept load samples of a node (config loadSampleMinGapSec; the
  // store's default, 50 s, when unset). 0 keeps every heartbeat's load: the most a heartbeat can cost.
  const gap = process.env.BENCH_LOAD_GAP_SEC;
  const store = await SqliteStore.open(join(dir, 'collector.db'), {
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
  const config = validateConfig({
    db: join(dir, 'collector.db'),
    pushBodyLimitBytes: 64 * 1024 * 1024,
    authFailuresPerMinute: 1_000_000,
    maxEventLoopDelayMs: 0, // measure the work, not the back-pressure (bench/collector-flood.ts measures that)
    ...(log === 'off' ? {} : { logLevel: log }),
  });
  const logger = log === 'off' ? false : createLogger(log, createWriteStream('/dev/null'));
  const app = await buildApp({ store, config, logger, adminToken: 'bench-admin-token-123456' });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ address, tokens });
  process.on('message', async (m) => {
    if (m === 'count') {
      const total = (store.db.prepare('SELECT COUNT(*) AS n FROM traffic_records').get() as { n: number }).n;
      const rows = (store.db.prepare('SELECT COUNT(*) AS n FROM stat_user').get() as { n: number }).n;
      const samples = (store.db.prepare('SELECT COUNT(*) AS n FROM load_samples').get() as { n: number }).n;
      console.log(`load samples stored ${samples} (BENCH_LOAD_GAP_SEC=${gap ?? 'unset: 50'})`);
      process.send?.({ records: total, userRows: rows });
    }
  });
}

process.on('SIGTERM', () => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
void main();
