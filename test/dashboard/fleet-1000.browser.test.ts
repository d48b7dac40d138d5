/**
 * 1,000 seeded nodes in headless Chromium against the real collector: every row is there with the right numbers,
 * filtering and sorting stay fast, and the time from navigation to a filled (laid out) table is printed.
 * The figure to quote comes from `npm run bench:dashboard` (more runs); here the ceiling only catches a regression
 * by a factor (a shared 2-core CI machine, with the other browser test running beside this one, cannot hold a 500 ms
 * line reliably: 1.2 s was seen there while the bench alone measured under 400 ms).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { ensureBuilt, REPO, removeDir, startCollector, tempDir, type CollectorProcess } from './support/collector.js';
import { dbIn, measureFleetOnce, median, seedFleet, TOKEN_KEY } from './support/fleet-bench.js';

const ADMIN = 'fleet-1000-admin-token-0123456789';
const NODES = 1000;
const SHOTS = join(REPO, 'test-output/screenshots');
let dir: string;
let collector: CollectorProcess;
let browser: Browser;

beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir('dashboard-1000-');
  await seedFleet(dbIn(dir), NODES);
  collector = await startCollector({ db: dbIn(dir), adminToken: ADMIN });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  if (dir) removeDir(dir);
});

it('fills the fleet table with 1,000 nodes quickly and keeps sorting and live updates cheap', async () => {
  await measureFleetOnce(browser, collector.url, ADMIN, NODES); // warm-up
  const runs = [];
  for (let i = 0; i < 3; i++) runs.push(await measureFleetOnce(browser, collector.url, ADMIN, NODES));
  const filled = median(runs.map((r) => r.filledMs));
  const sort = median(runs.map((r) => r.sortMs));
  const update = median(runs.flatMap((r) => r.updateMs));
  console.log(
    `[dashboard] ${NODES} nodes: navigation -> filled table ${runs.map((r) => r.filledMs).join('/')} ms, median ${filled} ms; re-sort ${sort.toFixed(1)} ms; live update ${update.toFixed(1)} ms`,
  );
  for (const r of runs) expect(r.rows).toBe(NODES);
  expect(filled).toBeLessThan(3000);
  expect(sort).toBeLessThan(500);
  expect(update).toBeLessThan(200);
}, 180_000); // four page loads, each waiting for two of the page's 5 s repaints

it('shows the seeded numbers, offline nodes and a working filter among 1,000 rows', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [TOKEN_KEY, ADMIN] as const);
  const page = await context.newPage();
  await page.goto(collector.url);
  await page.waitForFunction((n) => document.querySelectorAll('#fleet tbody tr').length === n, NODES);
  const row = (name: string) =>
    page.$eval(`#fleet tbody tr:has(td:text-is("${name}"))`, (tr) =>
      Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent),
    );
  // node-0001: rx 7,919 MiB, tx a third of it, in one 60 s record (1.11 Gbit/s, 369 Mbit/s); load 0.01, up one hour.
  expect(await row('node-0001')).toEqual([
    'node-0001',
    'online',
    expect.stringMatching(/^\d+(s|m) ago$/), // seeded before the first test, which may take over a minute
    '0.01 / 0.01 / 0.01',
    '1h 0m',
    '1.11 Gbit/s / 369 Mbit/s',
    '7.73 GiB',
    '2.58 GiB',
    '7.73 GiB',
    '2.58 GiB',
    '—', // no quota
  ]);
  expect((await row('node-0010')).slice(1, 3)).toEqual(['offline', '1h ago']);
  expect(await page.textContent('#fleet-counts')).toBe('1000 nodes · 900 online · 100 offline');
  await page.fill('#fleet-filter', 'node-0042');
  expect(
    await page.$$eval('#fleet tbody tr:not([hidden])', (trs) =>
      trs.map((tr) => (tr as HTMLTableRowElement).cells[0].textContent),
    ),
  ).toEqual(['node-0042']);
  await page.fill('#fleet-filter', '');
  expect(await page.$$eval('#fleet tbody tr:not([hidden])', (trs) => trs.length)).toBe(NODES);
  await page.click('#fleet th[data-sort="totalRx"]');
  expect(
    await page.$$eval('#fleet tbody tr', (trs) =>
      trs.slice(0, 2).map((tr) => (tr as HTMLTableRowElement).cells[0].textContent),
    ),
  ).toEqual(['node-1000', 'node-0999']);
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, 'fleet-1000.png') });
  await context.close();
});
