/**
 * Load history in the node dialog, in real headless Chromium against the real collector process: the load chart
 * (1/5/15) sits under the traffic charts and draws what GET /api/v1/nodes/:id/load answers, raw for 24 hours and
 * hourly (with the hour's peak) for 7 and 30 days. 30 days of history are ingested through the store on the
 * collector's own SQLite file (a second process, as the CLI is), dated in the past; the newest sample comes from a
 * heartbeat over HTTP. Screenshot: test-output/screenshots/node-load.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page, Response } from 'playwright-core';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'load-history-admin-token-0123456789';
const SHOTS = join(REPO, 'test-output/screenshots');
const MIN = 60_000;
const H = 3_600_000;

let collector: CollectorProcess;
let browser: Browser;
let page: Page;
let lisbon: FakeAgent;
let idle: FakeAgent;
/** Samples stored for lisbon-5 in the last 24 hours (seeded and over HTTP). */
let rawCount = 0;

/** A daily rhythm: busy afternoons, quiet nights. */
function loadAt(t: number): [number, number, number] {
  const wave = 1 + Math.sin(((new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60 - 9) / 24) * 2 * Math.PI);
  const l1 = Number((0.3 + 1.6 * wave + ((t / MIN) % 7) / 20).toFixed(2));
  return [l1, Number((0.3 + 1.5 * wave).toFixed(2)), Number((0.3 + 1.4 * wave).toFixed(2))];
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  collector = await startCollector({ adminToken: ADMIN, config: { heartbeatIntervalSec: 2 } });
  const node = await collector.addNode({ name: 'lisbon-5' });
  lisbon = new FakeAgent(collector.url, node, [2.5, 2, 1.5]);
  idle = new FakeAgent(collector.url, await collector.addNode({ name: 'idle-6' }), [0, 0, 0]);
  // 30 days: a heartbeat every 20 minutes until a day ago, then one a minute (the store keeps about one a minute).
  const store = await SqliteStore.open(collector.db, { create: false });
  try {
    const now = Date.now();
    const times: number[] = [];
    for (let t = now - 30 * 24 * H; t < now - 24 * H; t += 20 * MIN) times.push(t);
    for (let t = now - 24 * H + MIN; t <= now - 2 * MIN; t += MIN) times.push(t);
    for (const t of times) {
      const hb = { epoch: 'aaaaaaaaaaaaaaaa', records: [], load: loadAt(t), uptimeSec: 1, bootId: null, host: null };
      await store.ingestHeartbeat(node.id, { ...hb, agentVersion: 'seed', sentAt: t }, t);
    }
    rawCount = times.filter((t) => t > now - 24 * H).length;
  } finally {
    await store.close();
  }
  // Over HTTP now: a heartbeat with a record (kept), then one inside the 50 s gap (not kept).
  await lisbon.heartbeat({ rx: 1000n, tx: 10n });
  await lisbon.heartbeat();
  await idle.heartbeat();
  rawCount += 1;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

/** Pixels of the 1-minute series' blue (#2f6fdf) on the load chart's canvas: lines were drawn, not only axes. */
const bluePixels = (p: Page) =>
  p.$eval('#node-dialog [data-field="load-chart"] canvas', (c) => {
    const cv = c as HTMLCanvasElement;
    const ctx = cv.getContext('2d');
    if (!ctx) return -1;
    const d = ctx.getImageData(0, 0, cv.width, cv.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (Math.abs(d[i] - 47) < 30 && Math.abs(d[i + 1] - 111) < 30 && Math.abs(d[i + 2] - 223) < 30 && d[i + 3] > 200)
        n++;
    return n;
  });

describe('load history in the node dialog (headless Chromium)', () => {
  it('signs in', async () => {
    await page.goto(`${collector.url}/`);
    await page.fill('#token', ADMIN);
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 2);
  });

  it('charts the last 24 hours of raw samples under the traffic charts, as the API answered them', async () => {
    const answers: Array<{ window: string; resolution: string; points: Array<{ load: number[] }> }> = [];
    const onResponse = async (r: Response) => {
      if (r.url().includes('/load?')) answers.push(await r.json());
    };
    page.on('response', onResponse);
    await page.click('#fleet tbody tr:has-text("lisbon-5")');
    await page.waitForSelector('#node-dialog[open] [data-field="load-chart"] canvas');
    await expect
      .poll(() => page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-points'))
      .toBe(String(rawCount));
    page.off('response', onResponse);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ window: '24h', resolution: 'raw' });
    expect(answers[0].points).toHaveLength(rawCount);
    // The newest sample is the HTTP heartbeat's; the heartbeat inside the gap added none.
    expect(answers[0].points.at(-1)?.load).toEqual([2.5, 2, 1.5]);
    expect(await page.textContent('#node-dialog [data-field="load-chart"] .u-title')).toBe(
      'Last 24 hours, about one sample a minute',
    );
    const legend = await page.$$eval('#node-dialog [data-field="load-chart"] .u-legend .u-label', (e) =>
      e.map((x) => x.textContent),
    );
    expect(legend).toEqual(expect.arrayContaining(['1 min', '5 min', '15 min']));
    expect(legend).not.toContain('1 min peak');
    // Off the chart, the legend gives the newest sample, not uPlot's empty "Time: --".
    const values = await page.$$eval('#node-dialog [data-field="load-chart"] .u-legend .u-value', (e) =>
      e.map((x) => x.textContent),
    );
    expect(values).toEqual(['newest', '2.50', '2.00', '1.50']);
    // Below the traffic charts, in the same dialog.
    const below = await page.evaluate(() => {
      const charts = document.querySelector('#node-dialog [data-field="charts"]');
      const load = document.querySelector('#node-dialog [data-field="load"]');
      return !!charts && !!load && (charts.compareDocumentPosition(load) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0;
    });
    expect(below).toBe(true);
    await expect.poll(() => page.$$eval('#node-dialog [data-field="charts"] .uplot', (e) => e.length)).toBe(2);
    expect(await bluePixels(page)).toBeGreaterThan(200);
    expect(await page.getAttribute('#node-dialog [data-load-window="24h"]', 'aria-pressed')).toBe('true');
    await page.$eval('#node-dialog [data-field="load"]', (e) => e.scrollIntoView());
    await page.screenshot({ path: join(SHOTS, 'node-load.png') });
  });

  it('switches to hourly averages with the peak for 7 and 30 days', async () => {
    await page.click('#node-dialog [data-load-window="7d"]');
    await expect
      .poll(() => page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-resolution'))
      .toBe('hour');
    expect(await page.textContent('#node-dialog [data-field="load-chart"] .u-title')).toBe(
      'Last 7 days, hourly average and 1 min peak',
    );
    const hours7 = Number(await page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-points'));
    expect(hours7).toBeGreaterThanOrEqual(7 * 24 - 1);
    expect(hours7).toBeLessThanOrEqual(7 * 24 + 1);
    expect(
      await page.$$eval('#node-dialog [data-field="load-chart"] .u-legend .u-label', (e) =>
        e.map((x) => x.textContent),
      ),
    ).toContain('1 min peak');
    await page.click('#node-dialog [data-load-window="30d"]');
    await expect
      .poll(() => page.textContent('#node-dialog [data-field="load-chart"] .u-title'))
      .toBe('Last 30 days, hourly average and 1 min peak');
    const hours30 = Number(await page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-points'));
    expect(hours30).toBeGreaterThanOrEqual(30 * 24 - 2);
    expect(await bluePixels(page)).toBeGreaterThan(200);
    expect(await page.getAttribute('#node-dialog [data-load-window="30d"]', 'aria-pressed')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'node-load-30d.png') });
    await page.click('#node-dialog [data-action="close"]');
    await page.waitForSelector('#node-dialog:not([open])', { state: 'attached' });
  });

  it('a node without samples says so, draws no line, and opens on 24 hours again', async () => {
    await page.click('#fleet tbody tr:has-text("idle-6")');
    await expect.poll(() => page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-points')).toBe('1');
    await page.click('#node-dialog [data-action="close"]');
    await page.waitForSelector('#node-dialog:not([open])', { state: 'attached' });
    // A node added now with no heartbeat at all (no live event announces it: the page is reloaded): nothing to draw.
    await collector.addNode({ name: 'new-7' });
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3, undefined, {
      timeout: 20_000,
    });
    await page.click('#fleet tbody tr:has-text("new-7")');
    await expect.poll(() => page.getAttribute('#node-dialog [data-field="load-chart"]', 'data-points')).toBe('0');
    expect(await page.textContent('#node-dialog [data-field="load-status"]')).toContain('No load samples');
    expect(await bluePixels(page)).toBe(0);
    expect(await page.getAttribute('#node-dialog [data-load-window="24h"]', 'aria-pressed')).toBe('true');
  });
});
