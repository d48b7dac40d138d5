/**
 * The dashboard in real headless Chromium against the real collector process: sign-in (wrong and right token), the
 * fleet table's numbers, sorting, a node's charts, the rankings, the user view, a node going offline while the page
 * stays open, and the collector going away. Screenshots go to test-output/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium, until } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'dashboard-admin-token-0123456789';
const SHOTS = join(REPO, 'test-output/screenshots');
const GiB = 1n << 30n;
const TiB = 1n << 40n;
const MiB = 1n << 20n;

let collector: CollectorProcess;
let browser: Browser;
let page: Page;
let tokyo: FakeAgent;
let frankfurt: FakeAgent;
let ashburn: FakeAgent;
let singapore: FakeAgent;
let keepAlive: ReturnType<typeof setInterval> | undefined;
const alive = new Set<FakeAgent>();

/** Text of every cell of the fleet table, by node name. */
async function fleetRows(p: Page): Promise<Record<string, string[]>> {
  const rows = await p.$$eval('#fleet tbody tr', (trs) =>
    trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent ?? '')),
  );
  return Object.fromEntries(rows.map((cells) => [cells[0], cells]));
}
/** Node names in table order, without singapore-4 (its period depends on today's date, it is there for the charts). */
const names = (p: Page) =>
  p.$$eval('#fleet tbody tr', (trs) =>
    trs.map((tr) => (tr as HTMLTableRowElement).cells[0].textContent).filter((n) => n !== 'singapore-4'),
  );

/** 30 days of hourly records with a daily rhythm: a busy evening, a quiet night. */
function hourlyHistory(now: number): Array<{ to: number; rx: bigint; tx: bigint }> {
  const out = [];
  const lastHour = Math.floor(now / 3_600_000) * 3_600_000;
  for (let h = 30 * 24 - 1; h >= 0; h--) {
    const to = lastHour - h * 3_600_000 + 1000;
    const hourOfDay = new Date(to).getUTCHours();
    const wave = 1 + Math.sin(((hourOfDay - 14) / 24) * 2 * Math.PI);
    const rx = BigInt(Math.round((0.2 + wave) * 2 ** 29 * (1 + (h % 7) / 10)));
    out.push({ to, rx, tx: rx / 4n });
  }
  return out;
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  // Offline after 2 intervals of 2 s without a heartbeat.
  collector = await startCollector({
    adminToken: ADMIN,
    config: { heartbeatIntervalSec: 2, offlineAfterIntervals: 2 },
  });
  const nodes = [];
  for (const name of ['tokyo-1', 'frankfurt-2', 'ashburn-3', 'singapore-4'])
    nodes.push(await collector.addNode({ name }));
  tokyo = new FakeAgent(collector.url, nodes[0], [1.5, 1.25, 1], 3 * 86_400 + 4 * 3600 + 5 * 60);
  frankfurt = new FakeAgent(collector.url, nodes[1], [0.1, 0.2, 0.3], 45 * 60);
  ashburn = new FakeAgent(collector.url, nodes[2], [3, 2, 1], 7200);
  singapore = new FakeAgent(collector.url, nodes[3], [0.8, 0.7, 0.6], 40 * 86_400);
  await singapore.history(hourlyHistory(Date.now()));
  await tokyo.heartbeat({ rx: 5n * GiB, tx: TiB + TiB / 2n });
  await frankfurt.heartbeat({ rx: 3n * MiB, tx: 1023n });
  await ashburn.heartbeat({ rx: (1n << 53n) + 1n, tx: 0n });
  await tokyo.pushUsers({ 42: [1024 * 1024, 2 * 1024 ** 3], 7: [10, 20] });
  await frankfurt.pushUsers({ 42: [512, 1024] });
  for (const a of [tokyo, frankfurt, ashburn, singapore]) alive.add(a);
  keepAlive = setInterval(() => {
    for (const a of alive) void a.heartbeat().catch(() => undefined);
  }, 1000);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
});

afterAll(async () => {
  if (keepAlive) clearInterval(keepAlive);
  await browser?.close();
  await collector?.stop();
});

describe('dashboard in headless Chromium', () => {
  it('serves the page and everything it loads from the collector itself, with a CSP', async () => {
    const origins = new Set<string>();
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    const res = await page.goto(`${collector.url}/?refresh=1`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.waitForSelector('#login:not([hidden])');
    expect([...origins]).toEqual([collector.url]);
    // An unknown API path still answers the collector's JSON 404, not a file.
    const missing = await fetch(`${collector.url}/api/v1/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('TC_NOT_FOUND');
  });

  it('says clearly that a wrong token was refused, and keeps nothing', async () => {
    await page.fill('#token', 'not-the-admin-token-at-all');
    await page.click('#login-form button[type=submit]');
    await expect.poll(() => page.textContent('#login-error')).toContain('Wrong admin token');
    expect(await page.isVisible('#app')).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'login-wrong-token.png') });
  });

  it('signs in with the token and shows each node with its numbers in binary units', async () => {
    await page.fill('#token', ADMIN);
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 4);
    const rows = await fleetRows(page);
    // Node, State, Last seen, Load, Uptime, Rate, Period RX, Period TX, Total RX, Total TX, Quota (none here).
    // The rate is 0: since their one record the nodes have sent only heartbeats without records (idle ticks).
    expect(rows['tokyo-1']).toEqual([
      'tokyo-1',
      'online',
      expect.stringMatching(/^\ds ago$/),
      '1.50 / 1.25 / 1.00',
      '3d 4h 5m',
      '0 bit/s / 0 bit/s',
      '5.00 GiB',
      '1.50 TiB',
      '5.00 GiB',
      '1.50 TiB',
      '—',
    ]);
    expect(rows['frankfurt-2'].slice(3)).toEqual([
      '0.10 / 0.20 / 0.30',
      '45m 0s',
      '0 bit/s / 0 bit/s',
      '3.00 MiB',
      '1023 B',
      '3.00 MiB',
      '1023 B',
      '—',
    ]);
    expect(rows['ashburn-3'].slice(6)).toEqual(['8.00 PiB', '0 B', '8.00 PiB', '0 B', '—']);
    expect(await page.textContent('#fleet-counts')).toBe('4 nodes · 4 online · 0 offline');
    expect(await page.evaluate(() => sessionStorage.getItem('traffic-collector.admin-token'))).toBe(ADMIN);
    await page.screenshot({ path: join(SHOTS, 'fleet.png'), fullPage: true });
  });

  it('asks for the token only once per tab: a reload goes straight to the fleet', async () => {
    await page.reload();
    await page.waitForFunction(() => document.querySelectorAll('#fleet tbody tr').length === 4);
    expect(await page.isVisible('#login')).toBe(false);
  });

  it('sorts by a column, both ways, and back by name', async () => {
    await page.click('#fleet th[data-sort="periodRx"]');
    expect(await names(page)).toEqual(['ashburn-3', 'tokyo-1', 'frankfurt-2']);
    expect(await page.getAttribute('#fleet th[data-sort="periodRx"]', 'aria-sort')).toBe('descending');
    await page.click('#fleet th[data-sort="periodRx"]');
    expect(await names(page)).toEqual(['frankfurt-2', 'tokyo-1', 'ashburn-3']);
    await page.click('#fleet th[data-sort="load"]');
    expect(await names(page)).toEqual(['ashburn-3', 'tokyo-1', 'frankfurt-2']);
    await page.click('#fleet th[data-sort="name"]');
    expect(await names(page)).toEqual(['ashburn-3', 'frankfurt-2', 'tokyo-1']);
  });

  it("opens a node's charts of the last 24 hours and 30 days from its row", async () => {
    const series: Array<{ url: string; body: { step: string; points: Array<{ rx: string }> } }> = [];
    const onResponse = async (r: import('playwright-core').Response) => {
      if (r.url().includes('/series?')) series.push({ url: r.url(), body: await r.json() });
    };
    page.on('response', onResponse);
    await page.click('#fleet tbody tr:has-text("tokyo-1")');
    await page.waitForSelector('#node-dialog[open] .chart canvas');
    await expect.poll(() => page.$$eval('#node-dialog [data-field="charts"] .uplot', (e) => e.length)).toBe(2);
    page.off('response', onResponse);
    expect(await page.textContent('#node-dialog [data-field="title"]')).toBe('tokyo-1 (#1)');
    expect(await page.textContent('#node-dialog [data-field="facts"]')).toContain('period 5.00 GiB RX / 1.50 TiB TX');
    expect(
      await page.$$eval('#node-dialog [data-field="charts"] .u-title', (e) => e.map((x) => x.textContent)),
    ).toEqual(['Last 24 hours, per hour', 'Last 30 days, per day']);
    const size = await page.$eval('#node-dialog .chart canvas', (c) => [
      (c as HTMLCanvasElement).width,
      (c as HTMLCanvasElement).height,
    ]);
    expect(size[0]).toBeGreaterThan(300);
    expect(size[1]).toBeGreaterThan(100);
    // What was drawn: hourly and daily points that add up to the node's 5 GiB.
    expect(series.map((s) => s.body.step).sort()).toEqual(['day', 'hour']);
    for (const s of series) expect(s.body.points.reduce((acc, p) => acc + BigInt(p.rx), 0n)).toBe(5n * GiB);
    expect(await page.isVisible('#node-dialog .chart .muted')).toBe(false);
    // The node's own top users (GET /api/v1/nodes/:id/users).
    const nodeUsers = await page.$$eval('#node-dialog [data-field="users"] tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(nodeUsers).toEqual([
      ['1', '42', '1.00 MiB', '2.00 GiB', '2.00 GiB'],
      ['2', '7', '10 B', '20 B', '30 B'],
    ]);
    await page.click('#node-dialog [data-action="close"]');
    await page.waitForSelector('#node-dialog:not([open])', { state: 'attached' });
    // A node with 30 days of hourly history: a bar in every hour and every day.
    await page.click('#fleet tbody tr:has-text("singapore-4")');
    await expect.poll(() => page.textContent('#node-dialog [data-field="title"]')).toBe('singapore-4 (#4)');
    await expect.poll(() => page.$$eval('#node-dialog [data-field="charts"] .uplot', (e) => e.length)).toBe(2);
    await page.screenshot({ path: join(SHOTS, 'node-chart.png') });
    await page.click('#node-dialog [data-action="close"]');
    await page.waitForSelector('#node-dialog:not([open])', { state: 'attached' });
  });

  it('ranks nodes by period traffic and users by traffic in the range', async () => {
    const nodeRanks = await page.$$eval('#rank-nodes tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(nodeRanks.map((r) => r[1]).filter((n) => n !== 'singapore-4')).toEqual([
      'ashburn-3',
      'tokyo-1',
      'frankfurt-2',
    ]);
    expect(nodeRanks.find((r) => r[1] === 'tokyo-1')!.slice(1)).toEqual([
      'tokyo-1',
      '5.00 GiB',
      '1.50 TiB',
      '1.50 TiB',
    ]);
    const userRanks = await page.$$eval('#rank-users tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(userRanks).toEqual([
      ['1', '42', '1.00 MiB', '2.00 GiB', '2.00 GiB'],
      ['2', '7', '10 B', '20 B', '30 B'],
    ]);
    await page.selectOption('#rank-window', 'total');
    await expect
      .poll(() =>
        page.$$eval('#rank-nodes tbody tr', (trs) => trs.map((tr) => (tr as HTMLTableRowElement).cells[1].textContent)),
      )
      .toEqual(['ashburn-3', 'tokyo-1', 'singapore-4', 'frankfurt-2']);
  });

  it("looks up a user's traffic per node and in total", async () => {
    await page.fill('#user-id', '42');
    await page.click('#user-form button[type=submit]');
    await expect.poll(() => page.textContent('#user-summary')).toContain('User 42:');
    const rows = await page.$$eval('#user-nodes tbody tr', (trs) =>
      trs.map((tr) => Array.from((tr as HTMLTableRowElement).cells, (c) => c.textContent)),
    );
    expect(rows).toEqual([
      ['tokyo-1', '1.00 MiB', '2.00 GiB', '2.00 GiB'],
      ['frankfurt-2', '512 B', '1.00 KiB', '1.50 KiB'],
    ]);
    expect(await page.textContent('#user-summary')).toBe(
      'User 42: 2.00 GiB in total (1.00 MiB up, 2.00 GiB down) on 2 nodes',
    );
    // A click on a user in the ranking fills the view with that user.
    await page.click('#rank-users tbody tr[data-user="7"]');
    await expect
      .poll(() => page.textContent('#user-summary'))
      .toBe('User 7: 30 B in total (10 B up, 20 B down) on 1 node');
  });

  it('shows a node that stopped sending as offline, live, without reloading the page', async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: number }).marker = 1;
    });
    alive.delete(ashburn);
    const started = Date.now();
    await page.waitForFunction(
      () => {
        const tr = Array.from(document.querySelectorAll<HTMLTableRowElement>('#fleet tbody tr')).find(
          (r) => r.cells[0].textContent === 'ashburn-3',
        );
        return tr?.cells[1].textContent === 'offline' && tr.classList.contains('is-offline');
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    expect(await page.textContent('#fleet-counts')).toBe('4 nodes · 3 online · 1 offline');
    const rows = await fleetRows(page);
    expect(rows['tokyo-1'][1]).toBe('online');
    await page.screenshot({ path: join(SHOTS, 'fleet-offline.png'), fullPage: true });
  });

  it('says when the collector cannot be reached, and keeps the last data', async () => {
    await until('the refresh status to be live', async () =>
      (await page.getAttribute('#status', 'class'))?.includes('ok') ? true : undefined,
    );
    await collector.stop();
    await expect
      .poll(() => page.textContent('#status'), { timeout: 15_000 })
      .toContain('The collector cannot be reached');
    expect(await page.getAttribute('#status', 'class')).toContain('down');
    expect(await page.$$eval('#fleet tbody tr', (trs) => trs.length)).toBe(4);
    await page.screenshot({ path: join(SHOTS, 'collector-unreachable.png') });
  });
});
