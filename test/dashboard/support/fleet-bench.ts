/**
 * The 1,000-node measurement, shared by bench/dashboard-fleet.ts and the browser test: seed N nodes with a heartbeat
 * each through the collector's own store (the code the heartbeat route runs, minus HTTP: 1,000 HTTP heartbeats would
 * measure the collector, not the page), start the real collector on that file, then time navigation -> filled table
 * in headless Chromium.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { SqliteStore } from '../../../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../../../src/collector/tokens.js';

export const TOKEN_KEY = 'traffic-collector.admin-token';

/** Seeds `count` nodes; every tenth last reported an hour ago (offline), the others just now. */
export async function seedFleet(db: string, count: number, now = Date.now()): Promise<void> {
  const store = await SqliteStore.open(db);
  try {
    for (let i = 1; i <= count; i++) {
      const node = await store.addNode({
        name: `node-${String(i).padStart(4, '0')}`,
        tokenHash: hashToken(randomBytes(32).toString('base64url')),
        rate: '1',
        resetDay: 1,
        timezone: 'UTC',
        createdAt: now - 86_400_000,
      });
      const at = i % 10 === 0 ? now - 3_600_000 : now;
      const rx = BigInt(i) * 7_919n * 1_048_576n;
      await store.ingestHeartbeat(
        node.id,
        {
          epoch: randomBytes(8).toString('hex'),
          records: [{ seq: 1, from: at - 60_000, to: at, rx, tx: rx / 3n, events: [] }],
          load: [(i % 400) / 100, (i % 300) / 100, (i % 200) / 100],
          uptimeSec: i * 3_600,
          bootId: null,
          agentVersion: 'bench',
          host: { hostname: `host-${i}` },
        },
        at,
      );
    }
  } finally {
    await store.close();
  }
}

export interface FleetRun {
  filledMs: number;
  apiMs: number;
  buildMs: number;
  rows: number;
  sortMs: number;
  updateMs: number[];
}

/** One fresh tab: token in session storage before load, navigation, wait for `rows` rows; then one re-sort and a few live updates. */
export async function measureFleetOnce(browser: Browser, url: string, token: string, rows: number): Promise<FleetRun> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    await context.addInitScript(([k, t]) => sessionStorage.setItem(k, t), [TOKEN_KEY, token] as const);
    const page = await context.newPage();
    await page.goto(`${url}/?refresh=1`);
    await page.waitForFunction(
      (n) => document.body.dataset.filledMs !== undefined && document.querySelectorAll('#fleet tbody tr').length === n,
      rows,
      { timeout: 30_000 },
    );
    const filledMs = Number(await page.evaluate(() => document.body.dataset.filledMs));
    // How much of it was the first GET /api/v1/nodes (the collector's work and the transfer).
    const apiMs = await page.evaluate(() => {
      const e = performance.getEntriesByType('resource').find((r) => r.name.endsWith('/api/v1/nodes')) as
        | PerformanceResourceTiming
        | undefined;
      return e ? e.responseEnd - e.startTime : NaN;
    });
    const buildMs = await page.evaluate(() => performance.getEntriesByName('fleet-update')[0]?.duration ?? NaN);
    const count = await page.$$eval('#fleet tbody tr', (trs) => trs.length);
    const sortMs = await page.evaluate(() => {
      const th = document.querySelector<HTMLElement>('#fleet th[data-sort="totalRx"]')!;
      const t0 = performance.now();
      th.click();
      void document.body.offsetHeight; // include style and layout
      return performance.now() - t0;
    });
    // The page repaints the 1,000 rows in place (every 5 s while the live stream is up: "last seen" counts on and
    // silent nodes turn offline; polls at ?refresh= when it is down); wait for two repaints after the first fill.
    await page.waitForFunction(() => performance.getEntriesByName('fleet-update').length >= 3, undefined, {
      timeout: 30_000,
    });
    const updateMs = await page.evaluate(() =>
      performance
        .getEntriesByName('fleet-update')
        .slice(1)
        .map((e) => e.duration),
    );
    return { filledMs, apiMs, buildMs, rows: count, sortMs, updateMs };
  } finally {
    await context.close();
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const dbIn = (dir: string) => join(dir, 'fleet.db');
