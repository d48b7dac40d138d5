/**
 * npm run bench: every benchmark in turn, with quick settings where a bench has them, each one's own output shown as
 * it runs; then one table of every figure the benches reported (bench/bench-result.ts: BENCH_RESULT_FILE), its goal
 * and whether it was met. A bench that fails or reports nothing is a row saying so. Exit status 1 when a bench
 * failed (a missed goal is a figure, not a failure: read it with the load average printed beside the table).
 *   npm run bench [-- --only=collector-heartbeat,footprint]
 * Run it under `nice -n -10` on a shared machine; `npm run build` first (the bench script does), since the agent
 * daemon, the flood and the dashboard benches use dist/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figure } from './bench-result.js';
import { strArg } from './collector-bench-util.js';

/** Each bench with its quick settings (footprint's shortest duration is 60 s). */
const BENCHES: Array<{ name: string; file: string; args: string[]; env?: Record<string, string> }> = [
  { name: 'agent-tick', file: 'agent-tick.ts', args: ['--ticks', '500', '--disk-ticks', '200', '--daemon-sec', '5'] },
  { name: 'footprint', file: 'footprint.ts', args: ['--interval', '1', '--duration', '60', '--warmup', '3'] },
  { name: 'collector-heartbeat', file: 'collector-heartbeat.ts', args: ['--runs=1', '--duration=5', '--warmup=2'] },
  { name: 'collector-user-push', file: 'collector-user-push.ts', args: ['--runs=1', '--pushes=10'] },
  { name: 'collector-flood', file: 'collector-flood.ts', args: [], env: { FLOOD_SECONDS: '8' } },
  { name: 'load-history', file: 'load-history.ts', args: ['--rounds=2', '--heartbeats=5000'] },
  { name: 'anomalies', file: 'anomalies.ts', args: ['--runs=1'] },
  { name: 'dashboard-fleet', file: 'dashboard-fleet.ts', args: ['--runs', '3'] },
];

const only = strArg('only', '').split(',').filter(Boolean);
const dir = mkdtempSync(join(tmpdir(), 'tc-bench-all-'));
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const startLoad = load();
const rows: Array<{ bench: string; figure: string; value: string; goal: string; met: string }> = [];
let failed = 0;

for (const b of BENCHES) {
  if (only.length && !only.includes(b.name)) continue;
  const file = join(dir, `${b.name}.jsonl`);
  console.log(`\n===== ${b.name}: tsx bench/${b.file} ${b.args.join(' ')}`);
  const t = Date.now();
  const r = spawnSync('npx', ['tsx', `bench/${b.file}`, ...b.args], {
    stdio: 'inherit',
    env: { ...process.env, ...b.env, BENCH_RESULT_FILE: file },
  });
  console.log(`===== ${b.name}: exit ${r.status ?? r.signal} after ${((Date.now() - t) / 1000).toFixed(0)} s`);
  const figures: Figure[] = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Figure)
    : [];
  if (r.status !== 0) {
    failed++;
    rows.push({ bench: b.name, figure: `FAILED (exit ${r.status ?? r.signal})`, value: '', goal: '', met: 'no' });
  } else if (!figures.length) rows.push({ bench: b.name, figure: 'no figures reported', value: '', goal: '', met: '' });
  for (const f of figures) {
    const goal = f.goal?.min !== undefined ? `>= ${f.goal.min}` : f.goal?.max !== undefined ? `<= ${f.goal.max}` : '';
    const met = !f.goal
      ? ''
      : (f.goal.min === undefined || f.value >= f.goal.min) && (f.goal.max === undefined || f.value <= f.goal.max)
        ? 'met'
        : 'NOT met';
    const digits = Math.abs(f.value) >= 100 ? 0 : Math.abs(f.value) >= 10 ? 1 : 3;
    rows.push({ bench: b.name, figure: f.name, value: `${f.value.toFixed(digits)} ${f.unit}`, goal, met });
  }
}
rmSync(dir, { recursive: true, force: true });

const cols = ['bench', 'figure', 'value', 'goal', 'met'] as const;
const width = Object.fromEntries(cols.map((c) => [c, Math.max(c.length, ...rows.map((r) => r[c].length))]));
const line = (r: Record<(typeof cols)[number], string>) => cols.map((c) => r[c].padEnd(width[c])).join(' | ');
console.log(`\nsummary (load average at start ${startLoad}, at end ${load()}; quick settings, see bench/all.ts)`);
console.log(line({ bench: 'bench', figure: 'figure', value: 'value', goal: 'goal', met: 'met' }));
console.log(cols.map((c) => '-'.repeat(width[c])).join('-|-'));
for (const r of rows) console.log(line(r));
process.exitCode = failed ? 1 : 0;
