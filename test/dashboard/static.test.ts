/** The dashboard-static plugin: where it finds the bundle (from src and from dist), what it serves, what it leaves alone. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardStatic, findDashboardRoot } from '../../src/collector/routes/dashboard-static.js';
import { ensureBuilt, REPO } from './support/collector.js';

const dist = join(REPO, 'dist/dashboard/');
let tmp: string;

beforeAll(async () => {
  await ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'dashboard-static-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('dashboard-static', () => {
  it('finds dist/dashboard relative to the module, from src/collector/routes and from dist/collector/routes', async () => {
    expect(findDashboardRoot()).toBe(dist);
    const built = (await import(join(REPO, 'dist/collector/routes/dashboard-static.js'))) as {
      findDashboardRoot: () => string;
    };
    expect(built.findDashboardRoot()).toBe(dist);
  });

  it('serves index.html at / and the bundle beside it, with a same-origin CSP; other paths fall through to the app', async () => {
    const app = Fastify();
    app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'TC_NOT_FOUND', message: 'x' } }));
    await app.register(dashboardStatic);
    const index = await app.inject('/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.body).toContain('<script type="module" src="app.js">');
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/);
    for (const file of ['/app.js', '/app.css', '/uPlot.esm.js']) expect((await app.inject(file)).statusCode).toBe(200);
    // The page's own icon (index.html links it), so a browser's favicon request is not a 404.
    expect(index.body).toContain('<link rel="icon" href="favicon.ico"');
    const icon = await app.inject('/favicon.ico');
    expect(icon.statusCode).toBe(200);
    expect(icon.rawPayload.subarray(0, 4)).toEqual(Buffer.from([0, 0, 1, 0]));
    const other = await app.inject('/api/v1/whatever');
    expect(other.statusCode).toBe(404);
    expect(other.json()).toEqual({ error: { code: 'TC_NOT_FOUND', message: 'x' } });
    expect((await app.inject('/../package.json')).statusCode).toBe(404);
    await app.close();
  });

  it('serves another folder when given one, and only the files in it', async () => {
    const empty = Fastify();
    writeFileSync(join(tmp, 'index.html'), '<p>custom</p>');
    await empty.register(dashboardStatic, { root: tmp });
    expect((await empty.inject('/')).body).toBe('<p>custom</p>');
    expect((await empty.inject('/app.js')).statusCode).toBe(404);
    await empty.close();
  });
});
