/**
 * Issue 10 item 4, each through the request that should produce it: the documented 413 for a heartbeat over the body
 * limit, X-Traffic-Measured-At bounded on pushes, canonical decimal ids only, and tokens kept out of the log however
 * the query string spells them. And the keep-alive an agent at the default interval relies on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../../src/agent/config/schema.js';
import { HttpConnections } from '../../src/agent/sinks/http-connections.js';
import { httpExchange } from '../../src/agent/sinks/http-exchange.js';
import { redactUrl } from '../../src/collector/logger.js';
import { COLLECTOR_KEEP_ALIVE_MS, HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { heartbeatBody, makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('small HTTP edges', () => {
  it('answers a heartbeat over bodyLimitBytes 413 TC_BODY_TOO_LARGE, declared or not', async () => {
    t = await makeTestApp({ bodyLimitBytes: 2048 });
    const n = await t.addNode();
    const res = await t.app.inject({
      method: 'POST',
      url: HEARTBEAT_PATH,
      headers: { authorization: `Bearer ${n.token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(heartbeatBody({ agentVersion: 'x'.repeat(4000) })),
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.json().error.code).toBe('TC_BODY_TOO_LARGE');
  });

  it('books a push dated far in the future no later than 10 minutes ahead, as a heartbeat record', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    for (const at of ['9999999999999999', String(Date.UTC(2100, 0, 1))]) {
      const res = await t.app.inject({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`,
        headers: { 'x-traffic-measured-at': at },
        payload: '{"5":[10,20]}',
      });
      expect(res.statusCode, res.body).toBe(200);
    }
    const rows = t.store.db.prepare('SELECT DISTINCT record_at FROM stat_user').all() as Array<{ record_at: number }>;
    expect(rows.map((r) => r.record_at)).toEqual([Date.UTC(2026, 2, 15) / 1000]);
  });

  it('accepts only canonical decimal ids in paths', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    expect(n.id).toBe(1);
    expect((await t.admin('/api/v1/nodes/1')).statusCode).toBe(200);
    for (const id of ['0x1', '%201', '1e0', '+1', '01', '1.0', '%2B1', '1%20']) {
      const res = await t.admin(`/api/v1/nodes/${id}`);
      expect(res.statusCode, id).toBe(400);
      expect(res.json().error.code, id).toBe('TC_VALIDATION');
      expect((await t.admin(`/api/v1/users/${id}/traffic`)).statusCode, id).toBe(400);
    }
  });

  it('keeps tokens out of the log however the query spells the parameter', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    for (const q of [
      `tok%65n=${n.token}&node_id=${n.id}`,
      `%74oken=${n.token}&node_id=${n.id}`,
      `node_id=${n.id};token=${n.token}`,
      `node_id=${n.id}&TOKEN=${n.token}`,
      `node_id=${n.id}&token=${encodeURIComponent(n.token)}`,
    ]) {
      await t.app.inject({ method: 'POST', url: `${UNIPROXY_PUSH_PATH}?${q}`, payload: '{"1":[1,1]}' });
      await t.app.inject({ method: 'GET', url: `/api/v1/server/UniProxy/config?${q}` });
    }
    const text = t.logs.join('');
    expect(text).toContain('/api/v1/server/UniProxy/push?'); // the requests were logged, with their URLs
    expect(text).not.toContain(n.token);
    expect(text).not.toContain(n.token.slice(0, 20));
    // What stays readable: the path and harmless parameters.
    expect(redactUrl('/api/v1/nodes/1/series?step=hour&from=2026-03-01')).toBe(
      '/api/v1/nodes/1/series?step=hour&from=2026-03-01',
    );
    expect(redactUrl(`/x?node_id=4;token=${n.token}`)).toBe('/x?node_id=[redacted]');
  });

  it("keeps an idle connection past the agent's default interval: the agent sends every heartbeat on one", async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    let accepted = 0;
    t.app.server.on('connection', () => accepted++);
    const { port } = t.app.server.address() as { port: number };
    const url = new URL(`http://127.0.0.1:${port}${HEARTBEAT_PATH}`);
    // The agent's connections as its heartbeat sink makes them at the default interval (asked once every 60 s).
    const everyMs = AgentConfigSchema.properties.heartbeatIntervalSec.default * 1000;
    expect(everyMs).toBe(60_000);
    const connections = new HttpConnections(url, 60_000, everyMs);
    try {
      for (const sentAt of [1, 2]) {
        const res = await httpExchange(connections, url, {
          method: 'POST',
          headers: { authorization: `Bearer ${n.token}`, 'content-type': 'application/json' },
          body: JSON.stringify(heartbeatBody({ sentAt })),
          timeoutMs: 5000,
        });
        expect(res.statusCode, res.text).toBe(200);
        expect(res.headers['keep-alive']).toBe(`timeout=${COLLECTOR_KEEP_ALIVE_MS / 1000}`);
      }
      expect(accepted).toBe(1);
    } finally {
      connections.destroy();
    }
  });
});
