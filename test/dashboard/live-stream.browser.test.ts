/**
 * The live dashboard end to end: the real agent binary on a fixture /proc tree, the real collector binary, the page in
 * headless Chromium. Traffic counted by the agent shows in the fleet table without a reload and without a poll, within
 * about a second of its heartbeat landing (printed: landing -> on screen); the rate column follows the agent's
 * records and drops to 0 on an idle tick; a second page refused a stream (the cap) falls back to polling and still
 * updates. Also the polish: "1 node", no 404 for the favicon, a legend without uPlot's empty "Time: --", and TX bars
 * that the log scale makes visible beside a far larger RX.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/dashboard/web/format.js';
import { startAgent, type RunningAgent, writeNodeAgentConfig } from '../support/agent-binary.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { launchChromium, until } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'live-dashboard-admin-token-0123456789';
const SHOTS = join(REPO, 'test-output/screenshots');
const KEY = 'traffic-collector.admin-token';
const MiB = 1n << 20n;

let collector: CollectorProcess;
let agent: RunningAgent;
let fx: ProcFixture;
let dir: string;
let browser: Browser;
let page: Page;
let nodeId: number;
const failed: string[] = [];
let nodeListRequests = 0;

interface ApiNode {
  id: number;
  lastSeen: number;
  traffic: { totalRx: string };
}
async function apiNode(): Promise<ApiNode> {
  const res = await fetch(`${collector.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { nodes: ApiNode[] }).nodes.find((n) => n.id === nodeId)!;
}
const cells = (p: Page) =>
  p.$eval('#fleet tbody tr', (tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent ?? ''));

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  // The collector's interval is 5 s: while the stream is up the page reloads once a minute, so what shows within a
  // second came through the stream. One stream at most, so a second page is refused one and must poll.
  collector = await startCollector({
    adminToken: ADMIN,
    config: { heartbeatIntervalSec: 5, offlineAfterIntervals: 3, liveMaxStreams: 1, logLevel: 'info' },
  });
  const node = await collector.addNode({ name: 'edge-live' });
  nodeId = node.id;
  fx = await ProcFixture.create({ interfaces: { lo: { rx: 5n, tx: 5n }, eth0: { rx: 1000n, tx: 1000n } } });
  dir = mkdtempSync(join(tmpdir(), 'live-agent-'));
  const cfg = writeNodeAgentConfig(dir, node, collector.url, fx.root, {
    heartbeatIntervalSec: 1,
    interfaces: { exclude: ['lo*'] },
  });
  agent = startAgent(['run', '-c', cfg]);
  await agent.waitFor('"event":"start"');
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [KEY, ADMIN] as const);
  page = await context.newPage();
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/nodes') nodeListRequests++;
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGTERM');
  await agent?.exited;
  await collector?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await fx?.remove();
});

describe('live dashboard', () => {
  it('opens the stream and shows the fleet: "1 node", no failed request (favicon included)', async () => {
    await page.goto(collector.url);
    await page.waitForSelector('#fleet tbody tr');
    await until('the stream to be open', async () =>
      (await page.getAttribute('#status', 'data-stream')) === 'open' ? true : undefined,
    );
    expect(await page.textContent('#status')).toMatch(/^Live · updated .* · streaming$/);
    expect(await page.textContent('#fleet-counts')).toBe('1 node · 1 online · 0 offline');
    const icon = await page.evaluate(async () => {
      const r = await fetch('favicon.ico');
      return [r.status, r.headers.get('content-type')];
    });
    expect(icon[0]).toBe(200);
    expect(failed).toEqual([]);
  });

  it("shows the agent's next heartbeat without a reload or a poll, within about a second of its landing", async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 1;
    });
    const latencies: number[] = [];
    let expected = BigInt((await apiNode()).traffic.totalRx);
    for (let round = 1; round <= 4; round++) {
      const add = BigInt(round) * 5n * MiB;
      expected += add;
      const polls = nodeListRequests;
      // The page notes when the Total RX cell first shows the new total (a MutationObserver, the page's own clock).
      const shown = page.evaluate(
        (want) =>
          new Promise<number>((resolve) => {
            const cell = () => (document.querySelector('#fleet tbody tr') as HTMLTableRowElement).cells[8];
            const done = () => cell().textContent === want && (resolve(Date.now()), true);
            if (done()) return;
            const obs = new MutationObserver(() => done() && obs.disconnect());
            obs.observe(document.querySelector('#fleet tbody') as Node, {
              subtree: true,
              childList: true,
              characterData: true,
            });
          }),
        formatBytes(expected),
      );
      await fx.grow('eth0', add, add / 4n);
      const onScreen = await shown;
      await until('the API to hold the new total', async () =>
        (await apiNode()).traffic.totalRx === expected.toString() ? true : undefined,
      );
      const landed = (await apiNode()).lastSeen;
      latencies.push(onScreen - landed);
      expect(nodeListRequests).toBe(polls); // came through the stream, not a reload of the fleet
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `[live] heartbeat landed -> on screen in Chromium: ${latencies.join('/')} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms`,
    );
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(1000);
    for (const l of latencies) expect(l).toBeLessThan(2000);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
  });

  it("shows the node's current rate from the agent's record, and 0 once the agent has an idle tick", async () => {
    await until('an idle tick first', async () => ((await cells(page))[5] === '0 bit/s / 0 bit/s' ? true : undefined));
    const total = BigInt((await apiNode()).traffic.totalRx) + 50n * MiB;
    await fx.grow('eth0', 50n * MiB, 5n * MiB);
    // 50 MiB over the agent's ~1 s sample: hundreds of Mbit/s.
    const busy = await until('the busy rate', async () => {
      const row = await cells(page);
      return row[8] === formatBytes(total) ? row[5] : undefined;
    });
    expect(busy).toMatch(/^[\d.]+ [MG]bit\/s \/ [\d.]+ Mbit\/s$/);
    const rx = Number(busy.split(' ')[0]) * (busy.includes('Gbit') ? 1000 : 1);
    expect(rx).toBeGreaterThan(50 * 8 * 1.048576 * 0.5); // at most twice the nominal 1 s span
    expect(rx).toBeLessThan(50 * 8 * 1.048576 * 1.5);
    await until('the idle rate', async () => ((await cells(page))[5] === '0 bit/s / 0 bit/s' ? true : undefined), 5000);
    await page.click('#fleet th[data-sort="rate"]');
    expect(await page.getAttribute('#fleet th[data-sort="rate"]', 'aria-sort')).toBe('descending');
    await page.screenshot({ path: join(SHOTS, 'fleet-live.png') });
  });

  it('a page refused a stream (the cap) says so and keeps up by polling', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [KEY, ADMIN] as const);
    const second = await context.newPage();
    await second.goto(collector.url);
    await expect
      .poll(() => second.textContent('#status'), { timeout: 10_000 })
      .toMatch(/every 5 s \(live stream down: the collector answered 503; reconnecting in \d+ s\)/);
    const before = BigInt((await apiNode()).traffic.totalRx);
    await fx.grow('eth0', 7n * MiB, 0n);
    await expect
      .poll(
        async () => await second.$eval('#fleet tbody tr', (tr) => (tr as HTMLTableRowElement).cells[8].textContent),
        {
          timeout: 12_000,
        },
      )
      .toBe(formatBytes(before + 7n * MiB));
    await context.close();
    expect(collector.output()).toContain('live stream refused');
  });

  it('charts: the legend gives totals instead of "Time: --", and the log scale shows a small TX beside a large RX', async () => {
    await fx.grow('eth0', 1024n * MiB, 100n * 1024n);
    await until('the big hour to land', async () =>
      BigInt((await apiNode()).traffic.totalRx) > 1024n * MiB ? true : undefined,
    );
    await page.click('#fleet tbody tr');
    await page.waitForSelector('#node-dialog[open] .chart canvas');
    await expect.poll(() => page.$$eval('#node-dialog [data-field="charts"] .uplot', (e) => e.length)).toBe(2);
    const legend = await page.$eval('#node-dialog .u-legend', (l) => l.textContent ?? '');
    expect(legend).not.toContain('--');
    expect(legend).toMatch(/^Hour\s*whole range\s*RX\s*1\.\d+ GiB\s*TX\s*[\d.]+ (KiB|MiB)$/);
    const orange = () =>
      page.$eval('#node-dialog .chart canvas', (c) => {
        const canvas = c as HTMLCanvasElement;
        const px = (canvas.getContext('2d') as CanvasRenderingContext2D).getImageData(
          0,
          0,
          canvas.width,
          canvas.height,
        );
        let n = 0;
        // TX's colour, #e0812b (its fill is that at 75 % alpha on the transparent canvas).
        for (let i = 0; i < px.data.length; i += 4)
          if (
            Math.abs(px.data[i] - 224) <= 3 &&
            Math.abs(px.data[i + 1] - 129) <= 3 &&
            Math.abs(px.data[i + 2] - 43) <= 3 &&
            px.data[i + 3] > 100
          )
            n++;
        return n;
      });
    const linear = await orange();
    await page.check('#node-dialog [data-field="log-scale"]');
    await page.waitForSelector('#node-dialog .chart[data-scale="log"] canvas');
    const log = await orange();
    console.log(`[live] TX bar pixels, linear ${linear}, log ${log}`);
    expect(log).toBeGreaterThan(100);
    expect(log).toBeGreaterThan(linear * 5);
    await page.screenshot({ path: join(SHOTS, 'node-chart-log.png') });
    expect(failed).toEqual([]);
  });
});
