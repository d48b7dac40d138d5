/**
 * npm run bench:dashboard [-- --nodes 1000 --runs 7]
 * Time from navigation to a filled fleet table with N seeded nodes, in headless Chromium against the real collector
 * process; also one re-sort and the in-place live updates. Prints every run and the medians. Goal: filled < 500 ms.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { launchChromium } from '../test/dashboard/support/browser.js';
import { ensureBuilt, removeDir, startCollector, tempDir } from '../test/dashboard/support/collector.js';
import { dbIn, measureFleetOnce, median, seedFleet, type FleetRun } from '../test/dashboard/support/fleet-bench.js';
import { reportFigures } from './bench-result.js';

const { values } = parseArgs({
  options: { nodes: { type: 'string', default: '1000' }, runs: { type: 'string', default: '7' } },
});
const nodes = Number(values.nodes);
const runs = Number(values.runs);
const ADMIN = 'bench-admin-token-0123456789abcdef';

await ensureBuilt();
const dir = tempDir('dashboard-bench-');
const db = dbIn(dir);
let t = Date.now();
await seedFleet(db, nodes);
console.log(`seeded ${nodes} nodes in ${Date.now() - t} ms`);
const collector = await startCollector({ db, adminToken: ADMIN });
const browser = await launchChromium();
try {
  // One warm-up navigation (Chromium's first start of the renderer), not counted.
  await measureFleetOnce(browser, collector.url, ADMIN, nodes);
  const results: FleetRun[] = [];
  for (let i = 0; i < runs; i++) {
    t = Date.now();
    const r = await measureFleetOnce(browser, collector.url, ADMIN, nodes);
    results.push(r);
    console.log(
      `run ${i + 1}: filled ${r.filledMs} ms (GET /api/v1/nodes ${r.apiMs.toFixed(0)} ms, rows built in ${r.buildMs.toFixed(0)} ms), ${r.rows} rows, re-sort ${r.sortMs.toFixed(1)} ms, live updates ${r.updateMs.map((u) => u.toFixed(1)).join('/')} ms`,
    );
  }
  const filled = median(results.map((r) => r.filledMs));
  console.log(`\n${nodes} nodes: navigation -> filled table, median of ${runs}: ${filled} ms (goal < 500 ms)`);
  reportFigures('dashboard-fleet', [
    { name: `dashboard, ${nodes} nodes: navigation to filled table`, value: filled, unit: 'ms', goal: { max: 500 } },
  ]);
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (the figure moves with it on a shared machine)`,
  );
  console.log(
    `re-sort median ${median(results.map((r) => r.sortMs)).toFixed(1)} ms; in-place live update median ${median(results.flatMap((r) => r.updateMs)).toFixed(1)} ms`,
  );
} finally {
  await browser.close();
  await collector.stop();
  removeDir(dir);
}
