/**
 * Per-user rows ingested per second by the collector on SQLite (Xboard push over HTTP keep-alive, 10,000 users per
 * push, each push a new Idempotency-Key), next to the same rows upserted straight into better-sqlite3 in one
 * transaction per push, in the same run; prints both and the ratio.
 *   npx tsx bench/collector-user-push.ts [--runs=3] [--pushes=30] [--users=10000]
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
import { arg, ask, median, startBenchServer, stop } from './collector-bench-util.js';

const runs = arg('runs', 3);
const pushes = arg('pushes', 30);
const users = arg('users', 10_000);

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

async function run(i: number) {
  const bodies = Array.from({ length: pushes }, (_, p) => body(p));
  const col = await startBenchServer('collector', 1);
  const node = col.tokens[0];
  const dispatcher = new Agent({ keepAliveTimeout: 30_000 });
  const send = async (p: number) => {
    const res = await request(
      `${col.address}${UNIPROXY_PUSH_PATH}?node_id=${node.id}&node_type=vmess&token=${node.token}`,
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
  for (let p = 1; p < pushes; p++) await send(p);
  const viaHttp = ((pushes - 1) * users) / ((performance.now() - t) / 1000);
  const counted = await ask<{ userRows: number }>(col.child, 'count');
  await stop(col.child);
  await dispatcher.close();
  if (counted.userRows !== users) throw new Error(`expected ${users} rows, found ${counted.userRows}`);
  const straight = direct(bodies);
  console.log(
    `run ${i}: collector rows/s ${viaHttp.toFixed(0)}  direct better-sqlite3 rows/s ${straight.toFixed(0)}  ratio ${(viaHttp / straight).toFixed(3)}`,
  );
  return { viaHttp, straight };
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`${cpus().length} CPUs, load average at start: ${load()}`);
const results = [];
for (let i = 1; i <= runs; i++) results.push(await run(i));
const a = median(results.map((r) => r.viaHttp));
const b = median(results.map((r) => r.straight));
console.log(
  `median of ${runs}: collector ${a.toFixed(0)} rows/s, direct better-sqlite3 ${b.toFixed(0)} rows/s, ratio ${(a / b).toFixed(3)} (goal >= 200000 and >= 0.5); load average at end: ${load()}`,
);
