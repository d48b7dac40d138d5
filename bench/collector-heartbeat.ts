/**
 * Heartbeats per second ingested by the collector on SQLite over HTTP keep-alive (autocannon), next to a plain
 * Fastify route that does nothing, in the same run; prints both and the ratio. Every request carries a new record
 * (seq grows per node) for one of many nodes, so nothing is a duplicate; the record count is checked at the end.
 *   npx tsx bench/collector-heartbeat.ts [--runs=3] [--duration=10] [--connections=32] [--nodes=200] [--warmup=3] [--log=off|info|...]
 *
 * Fairness on a small shared machine: both servers are child processes (one event loop each) and autocannon runs in
 * this process, the same way for both; both get the very same requests (headers, a fresh heartbeat body each), so the
 * client does the same work; both are warmed up first (JIT, SQLite page cache); then the plain route and the collector
 * are measured in alternating back-to-back segments (order flipped every run), so each ratio compares two segments
 * taken under nearly the same background load. --log=info runs the collector with its production logger at that level
 * (into /dev/null) instead of none. The load average is printed at start and end: read the figures with it.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';
import { HEARTBEAT_PATH } from '../src/protocol/heartbeat.js';
import { arg, ask, median, startBenchServer, stop, strArg, type BenchServer } from './collector-bench-util.js';

const runs = arg('runs', 3);
const duration = arg('duration', 10);
const connections = arg('connections', 32);
const nodes = arg('nodes', 200);
const warmup = arg('warmup', 3);
const log = strArg('log', 'off');

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`${cpus().length} CPUs, load average at start: ${load()}`);

const noop = await startBenchServer('noop');
const col = await startBenchServer('collector', nodes, log);
const seqs = new Array<number>(col.tokens.length).fill(0);
let k = 0;
const t0 = Date.now();

/** One autocannon segment against `server` (`path`), every request a new heartbeat of the collector's nodes. */
async function segment(server: BenchServer, path: string, seconds: number) {
  const r = await autocannon({
    url: `${server.address}${path}`,
    connections,
    duration: seconds,
    method: 'POST',
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const i = k++ % col.tokens.length;
          const seq = ++seqs[i];
          const now = t0 + k;
          req.headers = { 'content-type': 'application/json', authorization: `Bearer ${col.tokens[i].token}` };
          req.body = `{"epoch":"abcdefabcdefabcd","records":[{"seq":${seq},"from":${now - 1000},"to":${now},"rx":"${1000 + seq}","tx":"${seq}"}],"load":[0.1,0.2,0.3],"uptimeSec":1000,"bootId":"b","agentVersion":"bench","sentAt":${now}}`;
          return req;
        },
      },
    ],
  } as autocannon.Options);
  if (r.non2xx || r.errors) throw new Error(`${path}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { ok: r['2xx'], rps: r['2xx'] / seconds, p99: r.latency.p99 };
}

let answered = 0;
let segments = 0;
/** The collector process's CPU time so far (utime + stime from /proc/PID/stat), in µs: what the operator sees. */
const collectorCpuUs = (): number => {
  const f = readFileSync(`/proc/${col.child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) / 100) * 1e6; // clock ticks of 10 ms (USER_HZ = 100 on Linux)
};
const onCollector = async (seconds: number) => {
  const cpu0 = collectorCpuUs();
  const r = await segment(col, HEARTBEAT_PATH, seconds);
  answered += r.ok;
  segments++;
  return { ...r, cpuUsPerHb: (collectorCpuUs() - cpu0) / r.ok };
};

await segment(noop, '/noop', warmup);
await onCollector(warmup);

const results = [];
for (let i = 1; i <= runs; i++) {
  let n, c;
  if (i % 2) {
    n = await segment(noop, '/noop', duration);
    c = await onCollector(duration);
  } else {
    c = await onCollector(duration);
    n = await segment(noop, '/noop', duration);
  }
  console.log(
    `run ${i}: heartbeats/s ${c.rps.toFixed(0)}  noop req/s ${n.rps.toFixed(0)}  ratio ${(c.rps / n.rps).toFixed(3)}  collector CPU ${c.cpuUsPerHb.toFixed(0)} µs/heartbeat  (p99 ${c.p99} ms / ${n.p99} ms, load ${load()})`,
  );
  results.push({ hb: c.rps, noop: n.rps, ratio: c.rps / n.rps, cpu: c.cpuUsPerHb });
}

const counted = await ask<{ records: number }>(col.child, 'count');
await stop(col.child);
await stop(noop.child);
// Requests still in flight when autocannon stops a segment are stored but not counted as answered.
if (counted.records < answered || counted.records > answered + connections * segments) {
  throw new Error(`${answered} heartbeats answered 2xx but ${counted.records} records stored`);
}
const hb = median(results.map((r) => r.hb));
const nr = median(results.map((r) => r.noop));
const ratio = median(results.map((r) => r.ratio));
const cpuPerHb = median(results.map((r) => r.cpu));
console.log(
  `records stored ${counted.records} for ${answered} answered (exact up to requests in flight at segment ends)`,
);
console.log(
  `median of ${runs}: collector heartbeats/s ${hb.toFixed(0)}, plain Fastify route req/s ${nr.toFixed(0)}, ratio ${ratio.toFixed(3)} (median of per-run ratios; goal >= 10000 and >= 0.3); collector process CPU ${cpuPerHb.toFixed(0)} µs per heartbeat; load average at end: ${load()}`,
);
