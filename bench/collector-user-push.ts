/**
 * Per-user rows ingested per second by the collector on SQLite (Xboard push over HTTP keep-alive, 10,000 users per
 * push, each push a new Idempotency-Key), next to the same rows upserted straight into better-sqlite3 in one
 * transaction per push, in the same run; prints both and the ratio. Then the same pushes into one collector on
 * PostgreSQL (a throwaway cluster with its durable defaults, scripts/pg-throwaway.sh; --pg-fast: the tests' settings)
 * and into two collector processes sharing its database, each taking the pushes of its own node at the same time.
 *   npx tsx bench/collector-user-push.ts [--runs=3] [--pushes=30] [--users=10000] [--engines=sqlite,postgres]
 * Both sides are timed the same way: the first push (all inserts) is a warm-up, the other pushes are timed. The load
 * average is printed at start and end.
 */
import { cpus, loadavg } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Agent, request } from 'undici';
import { MIGRATIONS } from '../src/collector/store/sqlite/sql.js';
import { UNIPROXY_PUSH_PATH } from '../src/protocol/uniproxy.js';
import { startBenchPg } from './bench-pg.js';
import { reportFigures } from './bench-result.js';
import { arg, ask, median, startBenchServer, stop, strArg, type BenchServer } from './collector-bench-util.js';

const runs = arg('runs', 3);
const pushes = arg('pushes', 30);
const users = arg('users', 10_000);

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const pg = strArg('engines', 'sqlite,postgres').split(',').includes('postgres') ? startBenchPg() : undefined;

function body(p: number): string {
  const o: Record<string, [number, number]> = {};
  for (let u = 1; u <= users; u++) o[u] = [u * 10 + p, u * 100 + p];
  return JSON.stringify(o);
}

function direct(bodies: string[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'tc-bench-direct-'));
  const db = new Database(join(dir, 'd.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  for (const m of MIGRATIONS) db.exec(m.sql);
  const up =
    db.prepare(`INSERT INTO stat_user (user_id, server_id, server_rate, u, d, record_type, record_at, created_at, updated_at)
    VALUES (?, 1, '1', ?, ?, 'd', ?, ?, ?) ON CONFLICT (user_id, server_id, server_rate, record_at, record_type)
    DO UPDATE SET u = u + excluded.u, d = d + excluded.d, updated_at = excluded.updated_at`);
  const day = Math.floor(Date.now() / 86_400_000) * 86_400;
  const apply = db.transaction((rows: Array<[number, number, number]>) => {
    for (const [uid, u, d] of rows) up.run(uid, u, d, day, day, day);
  });
  const push = (b: string) =>
    apply(
      Object.entries(JSON.parse(b) as Record<string, [number, number]>).map(
        ([k, [u, d]]) => [Number(k), u, d] as [number, number, number],
      ),
    );
  push(bodies[0]); // warm-up, as for the collector
  const t = performance.now();
  for (let p = 1; p < bodies.length; p++) push(bodies[p]);
  const s = (performance.now() - t) / 1000;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return ((bodies.length - 1) * users) / s;
}

/**
 * Pushes `bodies` to `server` for `node` one after another (as a node's agent does), the first as a warm-up; the
 * rows per second of the timed pushes.
 */
async function pushAll(server: BenchServer, node: BenchServer['tokens'][number], bodies: string[]): Promise<number> {
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const send = async (p: number) => {
    const res = await request(
      `${server.address}${UNIPROXY_PUSH_PATH}?node_id=${node.id}&node_type=vmess&token=${node.token}`,
      {
        method: 'POST',
        dispatcher,
        body: bodies[p],
        headers: { 'content-type': 'application/json', 'idempotency-key': `${node.id}:abcdefabcdefabcd:${p + 1}` },
      },
    );
    if (res.statusCode !== 200) throw new Error(`push ${p}: ${res.statusCode} ${await res.body.text()}`);
    await res.body.dump();
  };
  await send(0); // warm-up (first rows are inserts; later ones the accumulating upsert)
  const t = performance.now();
  for (let p = 1; p < bodies.length; p++) await send(p);
  const rate = ((bodies.length - 1) * users) / ((performance.now() - t) / 1000);
  await dispatcher.close();
  return rate;
}

async function run(i: number) {
  const bodies = Array.from({ length: pushes }, (_, p) => body(p));
  const col = await startBenchServer('collector', 1);
  const viaHttp = await pushAll(col, col.tokens[0], bodies);
  const counted = await ask<{ userRows: number }>(col.child, 'count');
  await stop(col.child);
  if (counted.userRows !== users) throw new Error(`expected ${users} rows, found ${counted.userRows}`);
  const straight = direct(bodies);
  const r: Record<string, number> = { viaHttp, straight };
  let pgText = '';
  if (pg) {
    // A fresh database per run: one collector (node 1), then two collectors sharing it (nodes 2 and 3 at once).
    const url = await pg.database(`bench_users_${i}`);
    const a = await startBenchServer('collector', 3, 'off', url);
    const b = await startBenchServer('collector', 0, 'off', url);
    r.pg1 = await pushAll(a, a.tokens[0], bodies);
    const [x, y] = await Promise.all([pushAll(a, a.tokens[1], bodies), pushAll(b, a.tokens[2], bodies)]);
    r.pg2 = x + y;
    const pgRows = await ask<{ userRows: number }>(a.child, 'count');
    await stop(a.child);
    await stop(b.child);
    if (pgRows.userRows !== 3 * users)
      throw new Error(`PostgreSQL: expected ${3 * users} rows, found ${pgRows.userRows}`);
    pgText = `  PostgreSQL one collector rows/s ${r.pg1.toFixed(0)}  two collectors ${r.pg2.toFixed(0)}  two / one ${(r.pg2 / r.pg1).toFixed(3)}`;
  }
  console.log(
    `run ${i}: collector rows/s ${viaHttp.toFixed(0)}  direct better-sqlite3 rows/s ${straight.toFixed(0)}  ratio ${(viaHttp / straight).toFixed(3)}${pgText}  (load ${load()})`,
  );
  return r;
}

console.log(`${cpus().length} CPUs, load average at start: ${load()}`);
const results = [];
for (let i = 1; i <= runs; i++) results.push(await run(i));
pg?.stop();
const a = median(results.map((r) => r.viaHttp));
const b = median(results.map((r) => r.straight));
const ratio = median(results.map((r) => r.viaHttp / r.straight));
let pgText = '';
const figures: Parameters<typeof reportFigures>[1] = [
  { name: 'per-user rows/s, collector on SQLite', value: a, unit: '/s', goal: { min: 200_000 } },
  { name: 'per-user rows/s, collector on SQLite / direct better-sqlite3', value: ratio, unit: 'x', goal: { min: 0.5 } },
];
if (pg) {
  const p1 = median(results.map((r) => r.pg1));
  const p2 = median(results.map((r) => r.pg2));
  const two = median(results.map((r) => r.pg2 / r.pg1));
  pgText = `; PostgreSQL one collector ${p1.toFixed(0)} rows/s, two collectors ${p2.toFixed(0)} rows/s, two / one ${two.toFixed(3)}`;
  figures.push({ name: 'per-user rows/s, one collector on PostgreSQL', value: p1, unit: '/s' });
  figures.push({ name: 'per-user rows/s, two collectors on PostgreSQL', value: p2, unit: '/s' });
  figures.push({ name: 'per-user rows/s, two collectors / one on PostgreSQL', value: two, unit: 'x' });
}
console.log(
  `median of ${runs} (ratios: median of per-run ratios): collector ${a.toFixed(0)} rows/s, direct better-sqlite3 ${b.toFixed(0)} rows/s, ratio ${ratio.toFixed(3)} (goal >= 200000 and >= 0.5)${pgText}; load average at end: ${load()}`,
);
reportFigures('collector-user-push', figures);
