/**
 * Heartbeats per second ingested by the collector over HTTP keep-alive (autocannon), in the same run:
 *   - a plain Fastify route that does nothing (the raw limit of this client and machine),
 *   - one collector on SQLite,
 *   - one collector on PostgreSQL,
 *   - two collector processes sharing that PostgreSQL database (each with its own pool; the connections split
 *     between them, as a load balancer would),
 * and the ratios: SQLite / plain route, PostgreSQL / plain route, two collectors / one.
 *   npx tsx bench/collector-heartbeat.ts [--runs=3] [--duration=10] [--connections=32] [--nodes=200] [--warmup=3]
 *     [--log=off|info|...] [--engines=sqlite,postgres] [--pg-fast]
 * PostgreSQL is a throwaway cluster this bench starts (scripts/pg-throwaway.sh) with its durable defaults (fsync and
 * synchronous_commit on, as in production); --pg-fast runs it as the tests do (both off) instead.
 *
 * Every request carries a new record (seq grows per node) for one of many nodes, so nothing is a duplicate; the
 * record count in each database is checked against the answers at the end.
 *
 * Fairness on a small shared machine: every server is a child process (one event loop each) and autocannon runs in
 * this process, the same way for all; all get the very same kind of request (headers, a fresh heartbeat body each),
 * so the client does the same work; all are warmed up first (JIT, page caches); then the targets are measured in
 * back-to-back segments whose order rotates every run, so each ratio compares segments taken under nearly the same
 * background load. Each target's server processes' own CPU per request (utime + stime from /proc; PostgreSQL's
 * processes not included) is printed beside its rate. --log=info runs the collectors with their production logger at that level (into /dev/null)
 * instead of none. The load average is printed at start, per run and at the end: read the figures with it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { HEARTBEAT_PATH } from '../src/protocol/heartbeat.js';
import { startBenchPg } from './bench-pg.js';
import { reportFigures } from './bench-result.js';
import { arg, ask, median, startBenchServer, stop, strArg, type BenchServer } from './collector-bench-util.js';

const runs = arg('runs', 3);
const duration = arg('duration', 10);
const connections = arg('connections', 32);
const nodes = arg('nodes', 200);
const warmup = arg('warmup', 3);
const log = strArg('log', 'off');
const engines = strArg('engines', 'sqlite,postgres').split(',');
const withPg = engines.includes('postgres');

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`${cpus().length} CPUs, load average at start: ${load()}`);

/** A set of nodes (tokens) and the last seq sent for each: the nodes one database holds. */
interface Fleet {
  tokens: BenchServer['tokens'];
  seqs: number[];
  /** Heartbeats answered 2xx and requests that may have been in flight at segment ends. */
  answered: number;
  slack: number;
}
const fleetOf = (s: BenchServer): Fleet => ({
  tokens: s.tokens,
  seqs: new Array(s.tokens.length).fill(0),
  answered: 0,
  slack: 0,
});

interface Target {
  label: string;
  servers: BenchServer[];
  path: string;
  fleet: Fleet;
}

const noop = await startBenchServer('noop');
const sqlite = engines.includes('sqlite') ? await startBenchServer('collector', nodes, log) : undefined;
const pg = withPg ? startBenchPg() : undefined;
const pgUrl = pg ? await pg.database('bench_heartbeat') : undefined;
const pgA = pgUrl ? await startBenchServer('collector', nodes, log, pgUrl) : undefined;
const pgB = pgUrl ? await startBenchServer('collector', 0, log, pgUrl) : undefined;
if (pg)
  console.log(
    `PostgreSQL 15 throwaway cluster, ${pg.durable ? 'durable (fsync and synchronous_commit on)' : 'fsync and synchronous_commit OFF (--pg-fast)'}`,
  );

const first = sqlite ?? pgA;
if (!first) throw new Error('--engines names no engine (sqlite, postgres)');
const firstFleet = fleetOf(first);
// The plain route gets the same requests from its own copy of the seqs, so it never moves a collector's seqs on.
const targets: Target[] = [{ label: 'plain route', servers: [noop], path: '/noop', fleet: fleetOf(first) }];
if (sqlite) targets.push({ label: 'SQLite', servers: [sqlite], path: HEARTBEAT_PATH, fleet: firstFleet });
if (pgA && pgB) {
  const f = fleetOf(pgA);
  targets.push({ label: 'PostgreSQL x1', servers: [pgA], path: HEARTBEAT_PATH, fleet: f });
  targets.push({ label: 'PostgreSQL x2', servers: [pgA, pgB], path: HEARTBEAT_PATH, fleet: f });
}

let k = 0;
const t0 = Date.now();

/** A server process's CPU time so far (utime + stime from /proc/PID/stat), in µs: what the operator sees. */
const cpuUs = (s: BenchServer): number => {
  const f = readFileSync(`/proc/${s.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6; // clock ticks of 10 ms (USER_HZ = 100 on Linux)
};
const serversCpuUs = (t: Target) => t.servers.reduce((a, s) => a + cpuUs(s), 0);

/** The first refusals' bodies, for the error that stops the bench. */
const refusals: string[] = [];

/**
 * One autocannon per connection (the connections split between the target's servers, as a load balancer would), all
 * at the same time. Each connection owns its nodes (node i on connection i mod connections) and builds its own
 * requests, so a node's heartbeats go one after another as an agent sends them: one autocannon with many connections
 * keeps the request it builds on an object all its connections share, and can send one node's seq twice or its
 * seqs out of order (which the collector rightly refuses as a conflict).
 */
async function segment(t: Target, seconds: number, count = true) {
  const per = Math.max(1, Math.round(connections / t.servers.length));
  const f = t.fleet;
  const total = per * t.servers.length;
  if (f.tokens.length < total) throw new Error(`--nodes must be at least the connections (${total})`);
  const cpu0 = serversCpuUs(t);
  const results = await Promise.all(
    Array.from({ length: total }, (_, c) => {
      const mine = f.tokens.map((_, i) => i).filter((i) => i % total === c);
      let j = 0;
      return autocannon({
        url: `${t.servers[c % t.servers.length].address}${t.path}`,
        connections: 1,
        duration: seconds,
        method: 'POST',
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => {
              const i = mine[j++ % mine.length];
              const seq = ++f.seqs[i];
              const now = t0 + ++k;
              req.headers = { 'content-type': 'application/json', authorization: `Bearer ${f.tokens[i].token}` };
              req.body = `{"epoch":"abcdefabcdefabcd","records":[{"seq":${seq},"from":${now - 1000},"to":${now},"rx":"${1000 + seq}","tx":"${seq}"}],"load":[0.1,0.2,0.3],"uptimeSec":1000,"bootId":"b","agentVersion":"bench","sentAt":${now}}`;
              return req;
            },
            onResponse: (status: number, body: string) => {
              if (status >= 300 && refusals.length < 3) refusals.push(`${status} ${body}`);
            },
          },
        ],
      } as autocannon.Options);
    }),
  );
  const cpu = serversCpuUs(t) - cpu0;
  // Requests in flight when a segment ends still land; let them before the next segment starts.
  await new Promise((r) => setTimeout(r, 300));
  let ok = 0;
  let p99 = 0;
  for (const r of results) {
    if (r.non2xx || r.errors)
      throw new Error(
        `${t.label}: ${r.non2xx} non-2xx (${JSON.stringify((r as { statusCodeStats?: unknown }).statusCodeStats)}), ${r.errors} errors, ${r.timeouts} timeouts; ${refusals.join('; ')}`,
      );
    ok += r['2xx'];
    p99 = Math.max(p99, r.latency.p99); // the slowest connection's p99
  }
  if (count && t.path !== '/noop') {
    f.answered += ok;
    f.slack += total;
  }
  return { rps: ok / seconds, p99, cpuUsPerReq: cpu / ok };
}

for (const t of targets) await segment(t, warmup);

const perRun: Array<Record<string, number>> = [];
for (let i = 1; i <= runs; i++) {
  const order = targets.map((_, j) => targets[(j + i - 1) % targets.length]);
  const r: Record<string, number> = {};
  const p99: Record<string, number> = {};
  for (const t of order) {
    const s = await segment(t, duration);
    r[t.label] = s.rps;
    r[`${t.label} CPU`] = s.cpuUsPerReq;
    p99[t.label] = s.p99;
  }
  const parts = targets.map(
    (t) => `${t.label} ${r[t.label].toFixed(0)}/s (p99 ${p99[t.label]} ms, ${r[`${t.label} CPU`].toFixed(0)} µs CPU)`,
  );
  if (sqlite) r['SQLite / plain'] = r.SQLite / r['plain route'];
  if (pgA) {
    r['PostgreSQL x1 / plain'] = r['PostgreSQL x1'] / r['plain route'];
    r['PostgreSQL x2 / x1'] = r['PostgreSQL x2'] / r['PostgreSQL x1'];
  }
  const ratios = Object.keys(r)
    .filter((x) => x.includes(' / '))
    .map((x) => `${x} ${r[x].toFixed(3)}`);
  console.log(`run ${i}: ${parts.join(', ')}; ratios: ${ratios.join(', ')}; load ${load()}`);
  perRun.push(r);
}

/** Each database holds exactly the records answered, up to requests in flight when a segment ended. */
async function checkCount(s: BenchServer, f: Fleet, label: string) {
  const counted = await ask<{ records: number }>(s.child, 'count');
  if (counted.records < f.answered || counted.records > f.answered + f.slack)
    throw new Error(`${label}: ${f.answered} heartbeats answered 2xx but ${counted.records} records stored`);
  console.log(
    `${label}: records stored ${counted.records} for ${f.answered} answered (exact up to requests in flight at segment ends)`,
  );
}
if (sqlite) await checkCount(sqlite, targets[1].fleet, 'SQLite');
if (pgA) await checkCount(pgA, targets[targets.length - 1].fleet, 'PostgreSQL');
for (const s of [noop, sqlite, pgA, pgB]) if (s) await stop(s.child);
pg?.stop();

const med = (key: string) => median(perRun.map((r) => r[key]));
const lines: string[] = [];
const figures: Parameters<typeof reportFigures>[1] = [];
const plain = med('plain route');
lines.push(`plain Fastify route req/s ${plain.toFixed(0)}`);
figures.push({ name: 'plain Fastify route, req/s', value: plain, unit: 'req/s' });
if (sqlite) {
  lines.push(
    `SQLite heartbeats/s ${med('SQLite').toFixed(0)} (goal >= 10000), ratio to plain ${med('SQLite / plain').toFixed(3)} (goal >= 0.3)`,
  );
  figures.push({ name: 'collector on SQLite, heartbeats/s', value: med('SQLite'), unit: '/s', goal: { min: 10_000 } });
  figures.push({
    name: 'collector on SQLite / plain route',
    value: med('SQLite / plain'),
    unit: 'x',
    goal: { min: 0.3 },
  });
}
for (const t of targets.slice(1))
  lines.push(`${t.label} collector process CPU ${med(`${t.label} CPU`).toFixed(0)} µs per heartbeat`);
if (pgA) {
  lines.push(
    `PostgreSQL one collector heartbeats/s ${med('PostgreSQL x1').toFixed(0)} (goal >= 5000), ratio to plain ${med('PostgreSQL x1 / plain').toFixed(3)}`,
  );
  lines.push(
    `PostgreSQL two collectors heartbeats/s ${med('PostgreSQL x2').toFixed(0)}, two / one ${med('PostgreSQL x2 / x1').toFixed(3)} (goal >= 1.5)`,
  );
  const tag = pg?.durable ? '' : ' (--pg-fast)';
  figures.push({
    name: `one collector on PostgreSQL${tag}, heartbeats/s`,
    value: med('PostgreSQL x1'),
    unit: '/s',
    goal: { min: 5000 },
  });
  figures.push({ name: `two collectors on PostgreSQL${tag}, heartbeats/s`, value: med('PostgreSQL x2'), unit: '/s' });
  figures.push({
    name: `two collectors / one on PostgreSQL${tag}`,
    value: med('PostgreSQL x2 / x1'),
    unit: 'x',
    goal: { min: 1.5 },
  });
}
console.log(
  `median of ${runs} (ratios: median of per-run ratios): ${lines.join('; ')}; load average at end: ${load()}`,
);
reportFigures('collector-heartbeat', figures);
