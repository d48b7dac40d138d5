/**
 * Unusual-traffic detection over a fleet's history on SQLite: 1,000 nodes x 90 days of hourly traffic (2.16 million
 * hourly rows), judged whole (every hour of the 90 days). Prints the detection's time next to the raw limit measured
 * in the same run (reading the same series from the store, as the typed arrays detection reads, and doing nothing
 * with them) and the process's memory (the collector runs this same code in its own process).
 *   npx tsx bench/anomalies.ts [--nodes=1000] [--days=90] [--runs=3]
 * Goal: detection under 2 s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findAnomalies } from '../src/collector/anomalies/find-anomalies.js';
import { SqliteStore } from '../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../src/collector/tokens.js';
import { arg, median } from './collector-bench-util.js';
import { reportFigures } from './bench-result.js';

const nodes = arg('nodes', 1000);
const days = arg('days', 90);
const runs = arg('runs', 3);
const H = 3_600_000;
const D = 24 * H;
const MB = 1024 * 1024;

const status = (key: string) =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;

async function main(): Promise<void> {
  console.log(
    `load average at start: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'tc-bench-anomalies-'));
  const store = await SqliteStore.open(join(dir, 'c.db'), { create: true });
  const end = Math.floor(Date.now() / D) * D;
  const start = end - days * D;
  const t0 = Date.now();
  const ids: number[] = [];
  for (let i = 0; i < nodes; i++)
    ids.push(
      (
        await store.addNode({
          name: `n${i}`,
          tokenHash: hashToken(`t${i}`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: start,
        })
      ).id,
    );
  const ins = store.db.prepare('INSERT INTO traffic_hourly (node_id, hour, rx, tx) VALUES (?, ?, ?, ?)');
  const fill = store.db.transaction((id: number, k: number) => {
    for (let at = start, i = 0; at < end; at += H, i++) {
      const h = new Date(at).getUTCHours();
      const base = (h < 7 ? 50 : h < 18 ? 600 : 2000) * (1 + (k % 7) / 10);
      const spike = (i * 7919 + k * 104729) % 5000 === 0 ? 40 : 1;
      ins.run(id, at, Math.round(base * spike * (1 + 0.05 * Math.sin(i + k)) * MB), Math.round(base * MB) >> 3);
    }
  });
  ids.forEach((id, k) => fill(id, k));
  console.log(
    `fixture: ${nodes} nodes x ${days} days = ${nodes * days * 24} hourly rows, made in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );

  const read: number[] = [];
  const detect: number[] = [];
  let found = 0;
  for (let r = 0; r < runs; r++) {
    let t = process.hrtime.bigint();
    let points = 0;
    for (const id of ids) points += (await store.hourlyTotals(id, start - 28 * D, end)).bytes.length;
    read.push(Number(process.hrtime.bigint() - t) / 1e6);
    t = process.hrtime.bigint();
    const a = await findAnomalies(store, {
      from: start,
      to: end,
      scopes: ['node-hourly'],
      timeZone: 'UTC',
      now: end,
      onlineWithinMs: 30_000,
      sampleEveryMs: 60_000,
    });
    detect.push(Number(process.hrtime.bigint() - t) / 1e6);
    found = a.length;
    if (points !== nodes * days * 24) throw new Error(`read ${points} points`);
  }
  const d = median(detect);
  const rd = median(read);
  console.log(`read only (the raw limit): median ${rd.toFixed(0)} ms over ${runs} runs`);
  console.log(`detection (read + judge):  median ${d.toFixed(0)} ms over ${runs} runs, ${found} unusual hours found`);
  console.log(`ratio detection / read: ${(d / rd).toFixed(2)}`);
  console.log(`memory: RSS ${status('VmRSS').toFixed(0)} MB now, peak ${status('VmHWM').toFixed(0)} MB`);
  console.log(`goal: detection under 2000 ms: ${d < 2000 ? 'met' : 'NOT met'}`);
  reportFigures('anomalies', [
    { name: `anomaly detection, ${nodes} nodes x ${days} days`, value: d, unit: 'ms', goal: { max: 2000 } },
    { name: 'anomaly detection / read only', value: d / rd, unit: 'x' },
  ]);
  console.log(
    `load average at end: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
