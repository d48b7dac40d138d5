/**
 * The Export buttons in real headless Chromium against the real collector process: the rankings' and the user view's
 * CSV downloads carry the report API's header and exactly its rows for the days on screen, the token never appears in
 * a URL, and the page says which days the file covers. The collector runs at UTC+14 and the browser at UTC-8: the
 * days on screen and in the files are the collector's days (the ones per-user traffic is booked on), not the
 * browser's. The user view's file is filtered by the collector (user=). Screenshot: test-output/screenshots/export.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'export-dashboard-admin-token-0123';
const SHOTS = join(REPO, 'test-output/screenshots');
const BOM = '\ufeff';

let collector: CollectorProcess;
let browser: Browser;
let page: Page;
const urls: string[] = [];

const COLLECTOR_ZONE = 'Pacific/Kiritimati'; // UTC+14
const BROWSER_ZONE = 'America/Los_Angeles'; // UTC-8: a different date for 22 hours of each day
const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
/** The collector's days the page's "Last N days" covers: N days back from its today, today included. */
function lastDays(n: number): { from: string; to: string } {
  const [y, m, d] = new Intl.DateTimeFormat('en-CA', { timeZone: COLLECTOR_ZONE }).format(new Date()).split('-');
  const today = Date.UTC(Number(y), Number(m) - 1, Number(d));
  return { from: ymd(new Date(today - (n - 1) * 86_400_000)), to: ymd(new Date(today)) };
}

async function report(
  days: { from: string; to: string },
  by: string,
  format: 'csv' | 'json',
  extra: Record<string, string> = {},
): Promise<string> {
  const q = new URLSearchParams({ ...days, by, format, ...extra });
  const res = await fetch(`${collector.url}/api/v1/reports?${q}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  // Decoded with its byte-order mark kept: the downloaded file must carry it too.
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  expect(res.status, text).toBe(200);
  return text;
}

/** Clicks `button`, captures the download and returns its name and text (byte-order mark kept). */
async function download(button: string): Promise<{ name: string; text: string }> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const path = await dl.path();
  return {
    name: dl.suggestedFilename(),
    text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync(path!)),
  };
}

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  collector = await startCollector({ adminToken: ADMIN, config: { timezone: COLLECTOR_ZONE } });
  const a = await collector.addNode({ name: 'tokyo-1' });
  const b = await collector.addNode({ name: 'berlin, "core"' });
  const tokyo = new FakeAgent(collector.url, a, [0.5, 0.5, 0.5], 3600);
  const berlin = new FakeAgent(collector.url, b, [0.5, 0.5, 0.5], 3600);
  await tokyo.heartbeat({ rx: 1n << 30n, tx: 1n << 20n });
  await berlin.heartbeat({ rx: 1n << 31n, tx: 1n << 21n });
  await tokyo.pushUsers({ 42: [1024 * 1024, 2 * 1024 ** 3], 7: [10, 20], 9: [5, 6] });
  await berlin.pushUsers({ 42: [512, 1024], 9: [123_456_789, 987_654_321] });
  browser = await launchChromium();
  page = await browser.newPage({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    timezoneId: BROWSER_ZONE,
  });
  page.on('request', (r) => urls.push(r.url()));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe('Export in the dashboard', () => {
  it('downloads the user report of the rankings range: the API header and exactly its rows', async () => {
    await page.goto(`${collector.url}/?refresh=60`);
    await page.fill('#token', ADMIN);
    await page.click('#login-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#rank-users tbody tr[data-user]').length === 3);
    const days30 = lastDays(30);
    expect(await page.textContent('#rank-export-note')).toContain(`${days30.from} – ${days30.to}`);

    const file = await download('#rank-export');
    expect(file.name).toBe(`users-${days30.from}-to-${days30.to}.csv`);
    expect(file.text.startsWith(`${BOM}user_id,upload,download,total\r\n`)).toBe(true);
    expect(file.text).toBe(await report(days30, 'user', 'csv'));
    const json = JSON.parse(await report(days30, 'user', 'json')) as { rows: Array<Record<string, unknown>> };
    const lines = file.text.slice(BOM.length).trimEnd().split('\r\n').slice(1);
    expect(lines).toEqual(json.rows.map((r) => `${r.userId},${r.upload},${r.download},${r.total}`));
    expect(lines).toHaveLength(3);
    expect(await page.textContent('#rank-export-note')).toContain('3 rows');

    // "Today" narrows the file to one day, and the note says so before anything is clicked.
    await page.selectOption('#rank-range', '1');
    const today = lastDays(1);
    expect(await page.textContent('#rank-export-note')).toContain(`covers ${today.from} (`);
    const one = await download('#rank-export');
    expect(one.name).toBe(`users-${today.from}-to-${today.to}.csv`);
    expect(one.text).toBe(await report(today, 'user', 'csv'));
  });

  it("downloads the user view's user-node rows for that user only, names quoted as the API quotes them", async () => {
    await page.fill('#user-id', '42');
    await page.click('#user-form button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#user-nodes tbody tr[data-node]').length === 2);
    await page.selectOption('#user-range', '7');
    const days7 = lastDays(7);
    expect(await page.textContent('#user-export-note')).toContain(`${days7.from} – ${days7.to}`);
    const file = await download('#user-export');
    expect(file.name).toBe(`user-42-${days7.from}-to-${days7.to}.csv`);
    const all = (await report(days7, 'user-node', 'csv')).slice(BOM.length).split('\r\n');
    expect(all[0]).toBe('user_id,node_id,node_name,upload,download,total');
    const want = [all[0], ...all.slice(1).filter((l) => l.startsWith('42,'))];
    expect(want).toHaveLength(3);
    expect(want.some((l) => l.includes('"berlin, ""core"""'))).toBe(true);
    expect(file.text).toBe(`${BOM}${want.join('\r\n')}\r\n`);
    // The collector filtered the rows (user=42), not the page.
    expect(file.text).toBe(await report(days7, 'user-node', 'csv', { user: '42' }));
    expect(urls.some((u) => u.includes('/api/v1/reports?') && u.includes('user=42'))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'export.png'), fullPage: true });
  });

  it('asks for a user id before exporting, and never puts the token in a URL', async () => {
    await page.fill('#user-id', '');
    await page.click('#user-export');
    expect(await page.textContent('#user-export-note')).toContain('Enter a numeric user id');
    expect(urls.length).toBeGreaterThan(5);
    expect(urls.filter((u) => u.includes(ADMIN))).toEqual([]);
    expect(urls.some((u) => u.includes('/api/v1/reports?'))).toBe(true);
  });
});
