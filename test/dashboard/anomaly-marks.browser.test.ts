/**
 * The node dialog marks unusual traffic on its charts, in real headless Chromium against the real collector: a node
 * with 30 days of hourly traffic (a daily rhythm) and one hour 30 times its usual three hours ago gets a red marker
 * over that hour in the 24 h chart and over that day in the 30 d chart, drawn on the canvas (its pixels are read back)
 * and listed in words under each chart; a node with the same rhythm and no such hour gets none.
 * Screenshot: test-output/screenshots/node-chart-anomalies.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'anomaly-dashboard-admin-token-0123';
const SHOTS = join(REPO, 'test-output/screenshots');
const H = 3_600_000;

let collector: CollectorProcess;
let browser: Browser;
let page: Page;
let keepAlive: ReturnType<typeof setInterval> | undefined;
const lastHour = Math.floor(Date.now() / H) * H;
const spikeHour = lastHour - 3 * H;

/** 30 days of hourly records (each inside its hour), a busy evening and a quiet night; `spike` x30 at spikeHour. */
function history(spike: boolean): Array<{ to: number; rx: bigint; tx: bigint }> {
  const out = [];
  for (let h = 30 * 24 - 1; h >= 1; h--) {
    const hour = lastHour - h * H;
    const wave = 1 + Math.sin(((new Date(hour).getUTCHours() - 14) / 24) * 2 * Math.PI);
    const rx = BigInt(
      Math.round((0.3 + wave) * 2 ** 29 * (1 + 0.02 * Math.sin(h)) * (spike && hour === spikeHour ? 30 : 1)),
    );
    out.push({ to: hour + 30 * 60_000, rx, tx: rx / 4n });
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  collector = await startCollector({
    adminToken: ADMIN,
    config: { heartbeatIntervalSec: 2, offlineAfterIntervals: 5 },
  });
  const agents: FakeAgent[] = [];
  for (const [name, spike] of [
    ['spiky-1', true],
    ['calm-2', false],
  ] as const) {
    const a = new FakeAgent(collector.url, await collector.addNode({ name }));
    await a.history(history(spike));
    agents.push(a);
  }
  keepAlive = setInterval(() => {
    for (const a of agents) void a.heartbeat().catch(() => undefined);
  }, 1000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await page.goto(`${collector.url}/?refresh=1`);
  await page.fill('#token', ADMIN);
  await page.click('#login-form button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 2);
}, 180_000);

afterAll(async () => {
  if (keepAlive) clearInterval(keepAlive);
  await browser?.close();
  await collector?.stop();
});

async function openNode(name: string): Promise<void> {
  await page.click(`#fleet tbody tr:has-text("${name}")`);
  await expect.poll(() => page.textContent('#node-dialog [data-field="title"]')).toContain(name);
  await expect.poll(() => page.$$eval('#node-dialog [data-field="charts"] .uplot', (e) => e.length)).toBe(2);
}

async function closeDialog(): Promise<void> {
  await page.click('#node-dialog [data-action="close"]');
  await page.waitForSelector('#node-dialog:not([open])', { state: 'attached' });
}

/** Per chart: the marker points the chart says it drew, the colour of the canvas there, and the listed findings. */
function chartMarks(p: Page) {
  return p.$$eval('#node-dialog [data-field="charts"] .chart', (boxes) =>
    boxes.map((box) => {
      const root = box.querySelector<HTMLElement>('.uplot');
      const canvas = box.querySelector('canvas');
      const points = (root?.dataset.anomalyMarks ?? '').split(',').filter(Boolean);
      const colours = points.map((pt) => {
        const [x, y] = pt.split(':').map(Number);
        const ctx = canvas?.getContext('2d');
        const ratio = canvas ? canvas.width / canvas.getBoundingClientRect().width : 1;
        return Array.from(ctx?.getImageData(Math.round(x * ratio), Math.round(y * ratio), 1, 1).data ?? []).slice(0, 3);
      });
      const items = Array.from(box.querySelectorAll<HTMLElement>('.anomaly-list li'), (li) => ({
        kind: li.dataset.kind,
        at: Number(li.dataset.at),
        text: li.textContent ?? '',
      }));
      return { title: box.querySelector('.u-title')?.textContent, points: points.length, colours, items };
    }),
  );
}

describe('anomaly marks on the node charts', () => {
  it('marks the unusual hour in the 24 h chart and its day in the 30 d chart, drawn and in words', async () => {
    // What the collector itself says about that node.
    const res = await fetch(
      `${collector.url}/api/v1/anomalies?node=1&from=${lastHour - 30 * 24 * H}&to=${lastHour + H}`,
      {
        headers: { authorization: `Bearer ${ADMIN}` },
      },
    );
    const found = ((await res.json()) as { anomalies: Array<{ at: number; kind: string; scope: string }> }).anomalies;
    expect(found.map((a) => [a.scope, a.kind, a.at])).toEqual([['node-hourly', 'spike', spikeHour]]);

    await openNode('spiky-1');
    const [hourly, daily] = await chartMarks(page);
    expect(hourly.title).toBe('Last 24 hours, per hour');
    expect(hourly.items).toEqual([{ kind: 'spike', at: spikeHour, text: expect.stringContaining('unusually high') }]);
    expect(hourly.points).toBe(1);
    // The marker's red (#d92d20) is on the canvas where the chart says it drew it.
    expect(hourly.colours).toEqual([[217, 45, 32]]);
    expect(daily.title).toBe('Last 30 days, per day');
    expect(daily.items).toHaveLength(1);
    expect(daily.items[0].kind).toBe('spike');
    expect(daily.items[0].text).toContain(' from ');
    // The day bucket holding the spike hour (the page's days are the browser's local days).
    expect(daily.items[0].at).toBeLessThanOrEqual(spikeHour);
    expect(spikeHour - daily.items[0].at).toBeLessThan(24 * H);
    expect(daily.colours).toEqual([[217, 45, 32]]);
    await page.screenshot({ path: join(SHOTS, 'node-chart-anomalies.png') });
    // The log scale redraws the charts: the marks stay.
    await page.check('#node-dialog [data-field="log-scale"]');
    await expect.poll(async () => (await chartMarks(page)).map((c) => c.points)).toEqual([1, 1]);
    await page.uncheck('#node-dialog [data-field="log-scale"]');
    await closeDialog();

    await openNode('calm-2');
    const calm = await chartMarks(page);
    expect(calm.map((c) => [c.points, c.items.length])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    await closeDialog();
  });
});
