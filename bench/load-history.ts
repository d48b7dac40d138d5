/**
 * What keeping load history (docs/load-history.md) costs one heartbeat ingest: CPU time per heartbeat of
 * store.ingestHeartbeat on SQLite, in this process, with group commit as in the collector (64 heartbeats in flight).
 * CPU time (process.cpuUsage) rather than wall time, so other processes on a busy machine count less.
 *   npx tsx bench/load-history.ts [--rounds=5] [--heartbeats=20000] [--nodes=1000] [--base=DIR]
 *
 * Variants, each on its own fresh database, measured in alternating segments (order rotated every round):
 * - never:   load history on but no sample ever due (gap of a year): what every heartbeat pays (two more columns read);
 * - shipped: the default gap (50 s); each node heartbeats every 10 s of simulated time, so 1 heartbeat in 5 keeps a
 *            sample, as at the agent's default interval;
 * - every:   gap 0: every heartbeat keeps a sample (a 60 s heartbeat interval): the most it can cost;
 * - base:    with --base=DIR, the SQLite store of another checkout (e.g. `git worktree add DIR main`, or
 *            `git archive main | tar -x -C DIR` with node_modules linked): the same heartbeats without load history.
 * Every heartbeat carries one fresh record, so nothing is a duplicate; records and samples are counted at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStore } from '../src/collector/store/sqlite/sqlite-store.js';
import type { HeartbeatInput, Store } from '../src/collector/store/store.js';
import { hashToken } from '../src/collector/tokens.js';
import { arg, median, strArg } from './collector-bench-util.js';
import { reportFigures } from './bench-result.js';

const rounds = arg('rounds', 5);
const perSegment = arg('heartbeats', 20_000);
const nodes = arg('nodes', 1000);
const base = strArg('base', '');
const IN_FLIGHT = 64;
const T0 = Date.UTC(2026, 0, 1);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Variant {
  name: string;
  store: Store & { db: { prepare(sql: string): { get(): unknown } } };
  ids: number[];
  seqs: number[];
  /** Heartbeats sent so far (the simulated clock). */
  sent: number;
  cpuUsPerHb: number[];
  wallUsPerHb: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'tc-bench-load-'));
type Open = (path: string, opts: object) => Promise<Variant['store']>;
const ours: Open = (path, opts) => SqliteStore.open(path, opts) as Promise<Variant['store']>;
const variants: Variant[] = [];

async function addVariant(name: string, open: Open, opts: object): Promise<void> {
  const store = await open(join(dir, `${name}.db`), opts);
  const ids: number[] = [];
  for (let i = 0; i < nodes; i++)
    ids.push(
      (
        await store.addNode({
          name: `${name}-${i}`,
          tokenHash: hashToken(`${name}-${i}`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: T0,
        })
      ).id,
    );
  variants.push({ name, store, ids, seqs: new Array(nodes).fill(0), sent: 0, cpuUsPerHb: [], wallUsPerHb: [] });
}

await addVariant('never', ours, { loadSampleGapMs: 365 * 86_400_000 });
await addVariant('shipped', ours, {});
await addVariant('every', ours, { loadSampleGapMs: 0 });
if (base) {
  const mod = await import(pathToFileURL(resolve(base, 'src/collector/store/sqlite/sqlite-store.ts')).href);
  await addVariant('base', (path, opts) => mod.SqliteStore.open(path, opts), {});
}

/** The next heartbeat of a variant: node k % nodes, every node once per 10 s of simulated time. */
function next(v: Variant): { id: number; hb: HeartbeatInput; at: number } {
  const k = v.sent++;
  const n = k % nodes;
  const at = T0 + Math.floor(k / nodes) * 10_000 + n;
  const seq = ++v.seqs[n];
  return {
    id: v.ids[n],
    at,
    hb: {
      epoch: 'abcdefabcdefabcd',
      records: [{ seq, from: at - 10_000, to: at, rx: BigInt(1000 + seq), tx: BigInt(seq), events: [] }],
      load: [0.5 + (seq % 10) / 10, 0.6, 0.7],
      uptimeSec: 1000,
      bootId: 'b',
      agentVersion: 'bench',
      host: null,
      sentAt: at,
    },
  };
}

async function segment(v: Variant, count: number, record = true): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let done = 0; done < count; done += IN_FLIGHT) {
    const wave = [];
    for (let j = 0; j < IN_FLIGHT && done + j < count; j++) {
      const h = next(v);
      wave.push(v.store.ingestHeartbeat(h.id, h.hb, h.at));
    }
    await Promise.all(wave);
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  if (!record) return;
  v.cpuUsPerHb.push((cpu.user + cpu.system) / count);
  v.wallUsPerHb.push(wall / count);
}

console.log(`load average at start: ${load()}; ${nodes} nodes, ${perSegment} heartbeats a segment, ${rounds} rounds`);
for (const v of variants) await segment(v, Math.min(perSegment, 5000), false); // warm-up (JIT, page cache)
for (let r = 0; r < rounds; r++) {
  const order = variants.map((_, i) => variants[(i + r) % variants.length]);
  for (const v of order) await segment(v, perSegment);
  console.log(
    `round ${r + 1}: ${order.map((v) => `${v.name} ${v.cpuUsPerHb[r].toFixed(1)} µs CPU`).join(', ')} (load ${load()})`,
  );
}

const ref = variants.find((v) => v.name === 'base') ?? variants[0];
for (const v of variants) {
  const count = (sql: string) => Number(Object.values(v.store.db.prepare(sql).get() as object)[0]);
  const records = count('SELECT COUNT(*) FROM traffic_records');
  if (records !== v.sent) throw new Error(`${v.name}: ${v.sent} heartbeats sent, ${records} records stored`);
  const samples = v.name === 'base' ? 0 : count('SELECT COUNT(*) FROM load_samples');
  const cpu = median(v.cpuUsPerHb);
  // Each round's segments ran back to back, so a round's ratio compares them under nearly the same background load.
  const ratio = median(v.cpuUsPerHb.map((c, r) => c / ref.cpuUsPerHb[r]));
  console.log(
    `${v.name.padEnd(8)} median CPU ${cpu.toFixed(1)} µs/heartbeat (${(1e6 / cpu).toFixed(0)} heartbeats per CPU-second), wall ${median(v.wallUsPerHb).toFixed(1)} µs; ${records} records, ${samples} load samples; x${ratio.toFixed(3)} of ${ref.name} (median of per-round ratios)`,
  );
  if (v !== ref)
    reportFigures('load-history', [
      { name: `store CPU per heartbeat, ${v.name} / ${ref.name}`, value: ratio, unit: 'x' },
    ]);
  await v.store.close();
}
console.log(`load average at end: ${load()}`);
rmSync(dir, { recursive: true, force: true });
