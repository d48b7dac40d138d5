/**
 * The quota bar, the pools table and the alerts panel in real headless Chromium against the real collector process,
 * with a webhook receiver on 127.0.0.1 taking the alerts. Screenshot: test-output/screenshots/quotas-alerts.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium, until } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'quota-dashboard-admin-token-0123';
const SHOTS = join(REPO, 'test-output/screenshots');
const GB = 1_000_000_000n;

let collector: CollectorProcess;
let browser: Browser;
let rx: WebhookReceiver;

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  rx = await new WebhookReceiver('quota-dashboard-secret-012345').start();
  rx.plan = ['fail']; // the first delivery fails: one alert shows as pending for a moment, then delivered
  collector = await startCollector({
    adminToken: ADMIN,
    config: {
      alertChannels: [{ name: 'ops', url: rx.url('/ops'), secret: 'quota-dashboard-secret-012345' }],
      alerts: { evalIntervalSec: 0.2, retryBaseMs: 200, nodeOffline: false, nodeEvents: false },
    },
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
  await rx?.stop();
});

async function api(method: string, path: string, body?: unknown): Promise<{ id: number }> {
  const res = await fetch(`${collector.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const out = (await res.json()) as { id: number };
  expect(res.status, JSON.stringify(out)).toBeLessThan(300);
  return out;
}

describe('quotas and alerts in the dashboard', () => {
  it('shows each node quota as a bar with used / limit and the projection on hover, pools, and alerts', async () => {
    const a = await collector.addNode({ name: 'fra-1' });
    const b = await collector.addNode({ name: 'ams-2' });
    const c = await collector.addNode({ name: 'par-3' });
    // fra-1: 1 TB billed on the larger direction, 850 GB received: 85 %.
    await api('POST', '/api/v1/quotas', { nodeId: a.id, limit: '1TB', measure: 'max' });
    // ams-2: 200 GB on the sum, 50 GB: 25 %.
    await api('POST', '/api/v1/quotas', { nodeId: b.id, limit: '200GB', measure: 'sum' });
    const pool = await api('POST', '/api/v1/pools', { name: 'cloud-acct' });
    for (const n of [a, b, c]) await api('PUT', `/api/v1/pools/${pool.id}/nodes/${n.id}`);
    await api('POST', '/api/v1/quotas', { poolId: pool.id, limit: '10TB', measure: 'sum' });
    await new FakeAgent(collector.url, a).heartbeat({ rx: 850n * GB, tx: 40n * GB });
    await new FakeAgent(collector.url, b).heartbeat({ rx: 30n * GB, tx: 20n * GB });
    await new FakeAgent(collector.url, c).heartbeat({ rx: 1n * GB, tx: 1n * GB });
    await until('the 80 % alert at the receiver', async () =>
      rx.received.some((r) => r.answered === 'ok') ? true : undefined,
    );

    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${collector.url}/?refresh=1`);
    await page.fill('#token', ADMIN);
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 3);

    const quotaCells = await page.$$eval('#fleet tbody tr', (trs) =>
      Object.fromEntries(
        trs.map((tr) => {
          const cells = (tr as HTMLTableRowElement).cells;
          const q = cells[cells.length - 1];
          const fill = q.querySelector<HTMLElement>('.quota-fill');
          return [
            cells[0].textContent,
            { text: q.textContent, title: q.title, cls: q.className, width: fill?.style.width },
          ];
        }),
      ),
    );
    expect(await page.$eval('#fleet thead th:last-child', (th) => th.textContent)).toBe('Quota');
    expect(quotaCells['fra-1']).toMatchObject({ text: '85.00 %792 GiB / 931 GiB', cls: 'quota warn', width: '85%' });
    expect(quotaCells['fra-1'].title).toContain('fra-1: 792 GiB of 931 GiB (85.00 %, max)');
    expect(quotaCells['fra-1'].title).toMatch(/limit reached at the last 24 h rate: (not in this period|\d)/);
    expect(quotaCells['fra-1'].title).toContain("at the period's average rate:");
    expect(quotaCells['ams-2']).toMatchObject({ text: '25.00 %46.6 GiB / 186 GiB', cls: 'quota ok', width: '25%' });
    // par-3 has no quota of its own: the pool's bar (942 GB of 10 TB).
    expect(quotaCells['par-3'].text).toBe('9.42 %877 GiB / 9.09 TiB');
    expect(quotaCells['par-3'].title).toContain('pool cloud-acct');

    const pools = await page.$$eval('#pools tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(pools).toEqual([['cloud-acct', '3', 'day 1, UTC', '9.42 %877 GiB / 9.09 TiB']]);

    await page.waitForFunction(
      () => document.querySelector('#alerts tbody tr[data-state="delivered"]') !== null,
      undefined,
      { timeout: 15_000 },
    );
    const alerts = await page.$$eval('#alerts tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0][1]).toBe('quota');
    expect(alerts[0][2]).toBe('node fra-1: 80 % of its 1.00 TB quota reached');
    expect(alerts[0][3]).toBe('delivered');
    // The failed first attempt was retried: the receiver saw the same key twice, one 503 then a 200.
    expect(rx.received.map((r) => r.answered)).toEqual(['fail', 'ok']);
    expect(new Set(rx.received.map((r) => r.key)).size).toBe(1);

    await page.screenshot({ path: join(SHOTS, 'quotas-alerts.png'), fullPage: true });

    // The quota column sorts like the others: by percent used, most used first, nodes with no quota last.
    const d = await collector.addNode({ name: 'lis-4' }); // in no pool, no quota of its own
    await new FakeAgent(collector.url, d).heartbeat({ rx: 5n * GB, tx: 5n * GB });
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 4, undefined, {
      timeout: 15_000,
    });
    const names = () =>
      page.$$eval('#fleet tbody tr', (trs) => trs.map((tr) => (tr as HTMLTableRowElement).cells[0].textContent));
    const quotaHead = '#fleet th[data-sort="quota"]';
    expect(await page.$eval(quotaHead, (th) => th.textContent)).toBe('Quota');
    await page.click(quotaHead);
    expect(await page.getAttribute(quotaHead, 'aria-sort')).toBe('descending');
    expect(await page.getAttribute('#fleet th[data-sort="name"]', 'aria-sort')).toBe('none');
    expect(await names()).toEqual(['fra-1', 'ams-2', 'par-3', 'lis-4']);
    // From the keyboard too, as every header: Enter turns the order round.
    await page.focus(quotaHead);
    await page.keyboard.press('Enter');
    expect(await page.getAttribute(quotaHead, 'aria-sort')).toBe('ascending');
    expect(await names()).toEqual(['lis-4', 'par-3', 'ams-2', 'fra-1']);
    // A new reading that changes the percentages re-sorts at the next refresh: ams-2 passes fra-1.
    await new FakeAgent(collector.url, b).heartbeat({ rx: 150n * GB, tx: 10n * GB });
    await page.waitForFunction(
      () => document.querySelector('#fleet tbody tr:last-child')?.querySelector('td')?.textContent === 'ams-2',
      undefined,
      { timeout: 15_000 },
    );
    expect(await names()).toEqual(['lis-4', 'par-3', 'fra-1', 'ams-2']);
    await page.click('#fleet th[data-sort="name"]');
    expect(await names()).toEqual(['ams-2', 'fra-1', 'lis-4', 'par-3']);
    await page.close();
  }, 90_000);
});
