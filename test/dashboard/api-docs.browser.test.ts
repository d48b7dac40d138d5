/**
 * The browsable API page (GET /docs, Swagger UI from @fastify/swagger-ui) in real headless Chromium against the real
 * collector process: it loads only from the collector (every request the page makes is watched: none leaves
 * 127.0.0.1), under a CSP with no CSP violation or page error, lists the API from the same OpenAPI document as
 * /openapi.json, needs no token to be read (the same decision as /openapi.json), and "Try it out" with the admin
 * token typed into Authorize answers from this collector. Screenshot: test-output/screenshots/api-docs.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { FakeAgent } from './support/agent-http.js';
import { launchChromium } from './support/browser.js';
import { ensureBuilt, REPO, startCollector, type CollectorProcess } from './support/collector.js';

const ADMIN = 'api-docs-admin-token-0123456789';
const SHOTS = join(REPO, 'test-output/screenshots');
let collector: CollectorProcess;
let browser: Browser;

beforeAll(async () => {
  await ensureBuilt();
  mkdirSync(SHOTS, { recursive: true });
  collector = await startCollector({ adminToken: ADMIN });
  const node = await collector.addNode({ name: 'docs-node' });
  await new FakeAgent(collector.url, node).heartbeat({ rx: 1000n, tx: 2000n });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await collector?.stop();
});

describe('the API page at /docs', () => {
  it('shows the API from the collector alone, and tries a call with the admin token', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

    const res = await page.goto(`${collector.url}/docs`);
    expect(res?.status()).toBe(200);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https:|swagger\.io|upgrade-insecure-requests/);
    await page.waitForSelector('.swagger-ui .info .title', { timeout: 30_000 });
    expect(await page.textContent('.swagger-ui .info .title')).toContain('traffic-collector');
    await page.waitForSelector('.opblock-summary-path');
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.getAttribute('data-path')));
    expect(paths).toEqual(expect.arrayContaining([HEARTBEAT_PATH, '/api/v1/nodes', '/openapi.json']));
    // The page's own routes are not part of the API it describes.
    expect(paths.some((p) => p?.startsWith('/docs'))).toBe(false);

    // Authorize with the admin token, then try GET /api/v1/nodes from the page.
    await page.click('.btn.authorize');
    const scheme = page.locator('.auth-container', { hasText: 'adminToken' });
    await scheme.locator('input').fill(ADMIN);
    await scheme.locator('button.authorize').click();
    await page.click('.btn-done');
    const op = page.locator('.opblock-get', { has: page.locator('[data-path="/api/v1/nodes"]') }).first();
    await op.locator('.opblock-summary').click();
    await op.locator('button.try-out__btn').click();
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table tbody td.response-col_status').first();
    await expect.poll(() => status.textContent(), { timeout: 15_000 }).toContain('200');
    expect(await op.locator('.live-responses-table tbody .microlight').first().textContent()).toContain('docs-node');
    await page.screenshot({ path: join(SHOTS, 'api-docs.png'), fullPage: false });

    // Nothing left 127.0.0.1: every request went to the collector (or was inline data).
    const elsewhere = requests.filter((u) => !u.startsWith(`${collector.url}/`) && !u.startsWith('data:'));
    expect(elsewhere).toEqual([]);
    expect(requests.some((u) => u.endsWith('/docs/static/swagger-ui-bundle.js'))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('needs no token, as /openapi.json, and serves the same document', async () => {
    const [docs, json, openapi] = await Promise.all(
      ['/docs', '/docs/json', '/openapi.json'].map((p) => fetch(`${collector.url}${p}`)),
    );
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
    expect(json.status).toBe(200);
    expect(openapi.status).toBe(200);
    expect(await json.json()).toEqual(await openapi.json());
    // The API itself still needs the token.
    expect((await fetch(`${collector.url}/api/v1/nodes`)).status).toBe(401);
  });
});
