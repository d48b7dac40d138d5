/**
 * Heartbeats per second ingested by the collector on SQLite over HTTP keep-alive (autocannon), next to a plain
 * Fastify route that does nothing, in the same run; prints both and the ratio. Every request carries a new record
 * (seq grows per node) for one of many nodes, so nothing is a duplicate; the record count is checked at the end.
 *   npx tsx bench/collector-heartbeat.ts [--runs=3] [--duration=10] [--connections=32] [--nodes=200]
 */
import autocannon from 'autocannon';
import { HEARTBEAT_PATH } from '../src/protocol/heartbeat.js';
import { arg, ask, median, startBenchServer, stop } from './collector-bench-util.js';

const runs = arg('runs', 3);
const duration = arg('duration', 10);
const connections = arg('connections', 32);
const nodes = arg('nodes', 200);

async function run(i: number) {
  const noop = await startBenchServer('noop');
  const n = await autocannon({ url: `${noop.address}/noop`, connections, duration, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await stop(noop.child);

  const col = await startBenchServer('collector', nodes);
  const seqs = new Array<number>(col.tokens.length).fill(0);
  let k = 0;
  const t0 = Date.now();
  const c = await autocannon({
    url: `${col.address}${HEARTBEAT_PATH}`, connections, duration, method: 'POST',
    requests: [{
      setupRequest: (req: Record<string, unknown>) => {
        const i = k++ % col.tokens.length;
        const seq = ++seqs[i];
        const now = t0 + k;
        req.headers = { 'content-type': 'application/json', authorization: `Bearer ${col.tokens[i].token}` };
        req.body = `{"epoch":"abcdefabcdefabcd","records":[{"seq":${seq},"from":${now - 1000},"to":${now},"rx":"${1000 + seq}","tx":"${seq}"}],"load":[0.1,0.2,0.3],"uptimeSec":1000,"bootId":"b","agentVersion":"bench","sentAt":${now}}`;
        return req;
      },
    }],
  } as autocannon.Options);
  const counted = await ask<{ records: number }>(col.child, 'count');
  await stop(col.child);
  const ok = c['2xx'];
  if (c.non2xx || c.errors) throw new Error(`run ${i}: ${c.non2xx} non-2xx, ${c.errors} errors`);
  // Requests still in flight when autocannon stops are stored but not counted as answered.
  if (counted.records < ok || counted.records > ok + connections) throw new Error(`run ${i}: ${ok} answered 2xx but ${counted.records} records stored`);
  const hb = ok / duration;
  const noopRps = n['2xx'] / duration;
  console.log(`run ${i}: heartbeats/s ${hb.toFixed(0)}  noop req/s ${noopRps.toFixed(0)}  ratio ${(hb / noopRps).toFixed(3)}  (p99 ${c.latency.p99} ms, ${counted.records} records stored)`);
  return { hb, noop: noopRps };
}

const results = [];
for (let i = 1; i <= runs; i++) results.push(await run(i));
const hb = median(results.map((r) => r.hb));
const noop = median(results.map((r) => r.noop));
console.log(`median of ${runs}: collector heartbeats/s ${hb.toFixed(0)}, plain Fastify route req/s ${noop.toFixed(0)}, ratio ${(hb / noop).toFixed(3)} (goal >= 10000 and >= 0.3)`);
