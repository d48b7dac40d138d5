/**
 * Heartbeats per second ingested by the collector over HTTP keep-alive, in the same run:
 *   - a plain Fastify route that does nothing (the raw limit of this client and machine),
 *   - one collector on SQLite,
 *   - one collector on PostgreSQL,
 *   - two collector processes sharing that PostgreSQL database (each with its own pool; the connections split
 *     between them, as a load balancer would, each collector's connections carrying their own nodes),
 * and the ratios: SQLite / plain route, PostgreSQL / plain route, two collectors / one.
 *   npx tsx bench/collector-heartbeat.ts [--runs=3] [--duration=10] [--connections=128] [--nodes=1000] [--warmup=3]
 *     [--log=off|info|...] [--engines=sqlite,postgres] [--pg-fast] [--pg-statements]
 * PostgreSQL is a throwaway cluster this bench starts (scripts/pg-throwaway.sh) with its durable defaults (fsync and
 * synchronous_commit on, as in production); --pg-fast runs it as the tests do (both off) instead. --pg-statements
 * loads pg_stat_statements and prints the statements that took PostgreSQL's time, with their calls and mean time.
 *
 * Every request carries a new record (seq grows per node) for one of many nodes, so nothing is a duplicate; the
 * record count in each database is checked against the answers at the end.
 *
 * Fairness on a small shared machine: every server is a child process (one event loop each) and the client
 * (bench/keepalive-client.ts: one keep-alive connection per node set, each sending its next request when the answer
 * is in) runs in this process, the same way for all; all get the very same kind of request (headers, a fresh
 * heartbeat body each), so the client does the same work; all are warmed up first (JIT, page caches); then the
 * targets are measured in back-to-back segments whose order rotates every run, so each ratio compares segments taken
 * under nearly the same background load. Everything that works for a target is accounted per request from
 * /proc/PID/stat (utime + stime): its collector processes, PostgreSQL's backends and background processes (for the
 * PostgreSQL targets) and this client; each is also printed as its share of the machine's cores, so a saturated
 * machine shows as such. --log=info runs the collectors with their production logger at that level (into /dev/null)
 * instead of none. The load average is printed at start, per run and at the end: read the figures with it.
 */
import { cpus, loadavg } from 'node:os';
import { HEARTBEAT_PATH } from '../src/protocol/heartbeat.js';
import { startBenchPg } from './bench-pg.js';
import { reportFigures } from './bench-result.js';
import { arg, ask, median, startBenchServer, stop, strArg, type BenchServer } from './collector-bench-util.js';
import { runKeepAlive } from './keepalive-client.js';
import { pgClusterCpuUs, processCpuUs, selfCpuUs } from './process-cpu.js';

const runs = arg('runs', 3);
const duration = arg('duration', 10);
/**
 * Requests in flight at once. A fleet's agents do not wait for each other: at a rate R with answers taking L seconds
 * (a durable commit, 1-20 ms here), R x L requests are in flight (5,000/s at 20 ms: 100). A closed loop of too few
 * connections measures latency instead of capacity (32 connections cap any server answering in 10 ms at 3,200/s).
 */
const connections = arg('connections', 128);
const nodes = arg('nodes', 1000);
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

/** The first refusals' bodies, for the error that stops the bench. */
const refusals: string[] = [];

/** CPU so far (µs) of everything that works for a target: its collector processes, PostgreSQL, this client. */
function cpuNow(t: Target) {
  const p = pg && t.path !== '/noop' && !t.label.startsWith('SQLite') ? pgClusterCpuUs(pg.postmasterPid()) : undefined;
  return {
    servers: t.servers.map((s) => processCpuUs(s.child.pid as number)),
    pg: p ? p.backends + p.background : 0,
    client: selfCpuUs(),
  };
}

/**
 * One keep-alive connection per node set (the connections split between the target's servers, as a load balancer
 * would), all at the same time. Each connection owns its nodes (node i on connection i mod connections) and sends
 * a node's heartbeats one after another, as an agent does; with two collectors each collector's connections carry
 * a disjoint set of nodes, as agents configured with one collector URL each would.
 */
async function segment(t: Target, seconds: number, count = true) {
  const per = Math.max(1, Math.round(connections / t.servers.length));
  const f = t.fleet;
  const total = per * t.servers.length;
  if (f.tokens.length < total) throw new Error(`--nodes must be at least the connections (${total})`);
  const plans = Array.from({ length: total }, (_, c) => {
    const mine = f.tokens.map((_, i) => i).filter((i) => i % total === c);
    let j = 0;
    return {
      address: t.servers[c % t.servers.length].address,
      next: () => {
        const i = mine[j++ % mine.length];
        const seq = ++f.seqs[i];
        const now = t0 + ++k;
        return {
          path: t.path,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${f.tokens[i].token}` },
          body: `{"epoch":"abcdefabcdefabcd","records":[{"seq":${seq},"from":${now - 1000},"to":${now},"rx":"${1000 + seq}","tx":"${seq}"}],"load":[0.1,0.2,0.3],"uptimeSec":1000,"bootId":"b","agentVersion":"bench","sentAt":${now}}`,
        };
      },
      onResponse: (status: number, body: string) => {
        if (status >= 300 && refusals.length < 3) refusals.push(`${status} ${body}`);
      },
    };
  });
  const cpu0 = cpuNow(t);
  const r = await runKeepAlive(plans, seconds);
  const cpu1 = cpuNow(t);
  // Requests in flight when a segment ends still land; let them before the next segment starts.
  await new Promise((res) => setTimeout(res, 300));
  if (r.non2xx || r.errors)
    throw new Error(`${t.label}: ${r.non2xx} non-2xx, ${r.errors} connection errors; ${refusals.join('; ')}`);
  if (count && t.path !== '/noop') {
    f.answered += r.ok;
    f.slack += total;
  }
  const per1 = (a: number, b: number) => (b - a) / r.ok;
  return {
    rps: r.ok / seconds,
    p99: r.p99,
    cpu: {
      collector: cpu1.servers.reduce((a, x, i) => a + per1(cpu0.servers[i], x), 0),
      pg: per1(cpu0.pg, cpu1.pg),
      client: per1(cpu0.client, cpu1.client),
    },
    seconds,
  };
}

/** µs per heartbeat of each process kind, and its share of the machine's CPU (cores × seconds) over the segment. */
const CPU_KINDS = ['collector', 'pg', 'client'] as const;
const CPU_NAMES: Record<(typeof CPU_KINDS)[number], string> = {
  collector: 'collector',
  pg: 'PostgreSQL',
  client: 'client',
};

for (const t of targets) await segment(t, warmup);

const perRun: Array<Record<string, number>> = [];
for (let i = 1; i <= runs; i++) {
  const order = targets.map((_, j) => targets[(j + i - 1) % targets.length]);
  const r: Record<string, number> = {};
  const p99: Record<string, number> = {};
  for (const t of order) {
    const s = await segment(t, duration);
    r[t.label] = s.rps;
    for (const kind of CPU_KINDS) r[`${t.label} CPU ${kind}`] = s.cpu[kind];
    p99[t.label] = s.p99;
  }
  const parts = targets.map((t) => {
    const us = CPU_KINDS.filter((kind) => r[`${t.label} CPU ${kind}`] > 0)
      .map((kind) => `${CPU_NAMES[kind]} ${r[`${t.label} CPU ${kind}`].toFixed(0)}`)
      .join(' + ');
    return `${t.label} ${r[t.label].toFixed(0)}/s (p99 ${p99[t.label].toFixed(1)} ms; CPU µs per request: ${us})`;
  });
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
if (pg)
  for (const st of await pg.statements('bench_heartbeat'))
    console.log(
      `pg_stat_statements: ${st.calls} calls, mean ${st.meanMs.toFixed(3)} ms, total ${st.totalMs.toFixed(0)} ms: ${st.query.replace(/\s+/g, ' ').slice(0, 100)}`,
    );
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
const cores = cpus().length;
for (const t of targets) {
  const us = CPU_KINDS.map((kind) => [kind, med(`${t.label} CPU ${kind}`)] as const).filter(([, v]) => v > 0);
  const sum = us.reduce((a, [, v]) => a + v, 0);
  // Share of the machine: µs per request × requests/s over (cores × 1 s).
  const rate = med(t.label);
  lines.push(
    `${t.label} CPU µs per request ${us.map(([kind, v]) => `${CPU_NAMES[kind]} ${v.toFixed(0)}`).join(' + ')} = ${sum.toFixed(0)}` +
      ` (of the ${cores} cores: ${us.map(([kind, v]) => `${CPU_NAMES[kind]} ${((v * rate) / (cores * 1e4)).toFixed(0)} %`).join(', ')})`,
  );
}
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
  `median of ${runs} (ratios: median of per-run ratios), load average at end ${load()}:\n  ${lines.join('\n  ')}`,
);
reportFigures('collector-heartbeat', figures);
