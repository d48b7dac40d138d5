/** The heartbeat route and the read API through app.inject on a real SQLite file. */
import { afterEach, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/collector/errors.js';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { ADMIN, makeTestApp, type TestApp } from './app-helper.js';

const H = 3_600_000;
let t: TestApp;
afterEach(async () => {
  await t?.close();
});

const r = (seq: number, rx: string, tx: string, to: number) => ({ seq, from: to - 1000, to, rx, tx });

describe('POST /api/v1/agent/heartbeat', () => {
  it('stores records, acknowledges them, and acknowledges a resend without counting it', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const now = t.clock.now;
    const records = [r(1, '18446744073709551', '5', now - 2000), r(2, '1', '2', now - 1000)];
    const res = await t.heartbeat(n.token, {
      records,
      host: { hostname: 'node-a', cpus: 2, memTotalBytes: '8589934592' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      nodeId: n.id,
      epoch: '0123456789abcdef',
      acked: [1, 2],
      duplicates: 0,
      serverTime: now,
    });
    const again = await t.heartbeat(n.token, { records: [...records, r(3, '10', '10', now)] });
    expect(again.json()).toMatchObject({ acked: [1, 2, 3], duplicates: 2 });

    const node = (await t.admin(`/api/v1/nodes/${n.id}`)).json();
    expect(node).toMatchObject({
      id: n.id,
      online: true,
      lastSeen: now,
      traffic: {
        totalRx: '18446744073709562',
        totalTx: '17',
        total: '18446744073709579',
        periodRx: '18446744073709562',
        periodStart: Date.UTC(2026, 2, 1),
      },
      load: [0.1, 0.2, 0.3],
      uptimeSec: 100,
      bootId: 'b1',
      agentVersion: '0.1.0',
      host: { hostname: 'node-a', memTotalBytes: '8589934592' },
    });
    const list = (await t.admin('/api/v1/nodes')).json();
    expect(list.nodes).toHaveLength(1);
    expect(list.nodes[0].traffic.totalRx).toBe('18446744073709562');
    expect(list.heartbeatIntervalSec).toBe(60);
  });

  it('marks a node offline after offlineAfterIntervals heartbeat intervals', async () => {
    t = await makeTestApp({ heartbeatIntervalSec: 10, offlineAfterIntervals: 3 });
    const n = await t.addNode();
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().online).toBe(false); // never seen
    await t.heartbeat(n.token, {});
    t.clock.now += 30_000;
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().online).toBe(true);
    t.clock.now += 1;
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().online).toBe(false);
  });

  it('answers wrong, missing and malformed tokens with 401, then 429 past the limit, never refusing a valid token', async () => {
    t = await makeTestApp({ authFailuresPerMinute: 5 });
    const n = await t.addNode();
    for (const auth of [undefined, 'Bearer nope', `Basic ${n.token}`, `Bearer ${n.token}x`, 'Bearer']) {
      const res = await t.app.inject({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: auth ? { authorization: auth } : {},
        payload: {},
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('TC_UNAUTHORIZED');
    }
    const limited = await t.heartbeat(`${n.token}x`, {});
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('TC_RATE_LIMITED');
    expect(limited.headers['retry-after']).toBe('60');
    expect((await t.heartbeat(n.token, {})).statusCode).toBe(200);
    const other = await t.app.inject({
      method: 'POST',
      url: HEARTBEAT_PATH,
      remoteAddress: '10.0.0.9',
      headers: { authorization: `Bearer ${n.token}` },
      payload: {
        epoch: '0123456789abcdef',
        records: [],
        load: [0, 0, 0],
        uptimeSec: 1,
        bootId: null,
        agentVersion: 'x',
        sentAt: 1,
      },
    });
    expect(other.statusCode).toBe(200);
    t.clock.now += 60_000;
    expect((await t.heartbeat(n.token, {})).statusCode).toBe(200);
  });

  it('logs no line per heartbeat at info (only at debug), but still logs a failed one', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    expect((await t.heartbeat(n.token, { records: [r(1, '1', '1', t.clock.now)] })).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await t.admin('/api/v1/nodes')).statusCode).toBe(200);
    expect(t.logs.join('')).not.toContain('request completed');
    t.store.db.exec(
      "CREATE TRIGGER tc_fail BEFORE INSERT ON traffic_hourly BEGIN SELECT RAISE(ABORT, 'disk says no'); END",
    );
    expect((await t.heartbeat(n.token, { records: [r(2, '1', '1', t.clock.now)] })).statusCode).toBe(500);
    expect(t.logs.join('')).toContain('disk says no');
    await t.close();
    t = await makeTestApp({ logLevel: 'debug' });
    const m = await t.addNode();
    expect((await t.heartbeat(m.token, {})).statusCode).toBe(200);
    expect(t.logs.join('')).toContain(HEARTBEAT_PATH);
  });

  it('never writes a token into the log', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    await t.heartbeat(n.token, {});
    await t.heartbeat(`${n.token}-wrong`, {});
    await t.app.inject({
      method: 'POST',
      url: `/api/v1/server/UniProxy/push?node_id=999999&token=${n.token}`, // refused, so logged at info
      payload: {},
    });
    await t.admin('/api/v1/nodes');
    const text = t.logs.join('');
    expect(text).toContain('request completed'); // the refused requests are logged at info, without their tokens
    expect(text).toContain('token=[redacted]');
    expect(text).not.toContain(n.token);
    expect(text).not.toContain(ADMIN);
  });
});

describe('read API', () => {
  it('requires the admin token', async () => {
    t = await makeTestApp();
    for (const url of [
      '/api/v1/nodes',
      '/api/v1/nodes/1',
      '/api/v1/rankings/nodes',
      '/api/v1/nodes/1/series',
      '/api/v1/rankings/users',
      '/api/v1/users/1/traffic',
      '/api/v1/nodes/1/users',
    ]) {
      const res = await t.app.inject({ url, headers: { authorization: 'Bearer not-the-admin-token' } });
      expect(res.statusCode, url).toBe(401);
    }
    const reset = await t.app.inject({ method: 'POST', url: '/api/v1/nodes/1/period/reset' });
    expect(reset.statusCode).toBe(401);
  });

  it('ranks nodes by period, total and the last 24 hours', async () => {
    t = await makeTestApp();
    const a = await t.addNode();
    const b = await t.addNode();
    const now = t.clock.now;
    await t.heartbeat(a.token, { records: [r(1, '100', '0', now - 2 * 24 * H), r(2, '10', '0', now - H)] });
    await t.heartbeat(b.token, { records: [r(1, '50', '0', now - H)] });
    const rank = async (w: string) =>
      (await t.admin(`/api/v1/rankings/nodes?window=${w}&limit=5`))
        .json()
        .nodes.map((x: { id: number; total: string }) => [x.id, x.total]);
    expect(await rank('total')).toEqual([
      [a.id, '110'],
      [b.id, '50'],
    ]);
    expect(await rank('24h')).toEqual([
      [b.id, '50'],
      [a.id, '10'],
    ]);
    expect(await rank('period')).toEqual([
      [a.id, '110'],
      [b.id, '50'],
    ]); // both in March
    expect((await t.admin('/api/v1/rankings/nodes?window=total&limit=1')).json().nodes).toHaveLength(1);
    expect((await t.admin('/api/v1/rankings/nodes?window=week')).statusCode).toBe(400);
    expect((await t.admin('/api/v1/rankings/nodes?limit=0')).statusCode).toBe(400);
  });

  it('serves hourly and daily series, zero-filled, and rejects bad ranges', async () => {
    t = await makeTestApp();
    const a = await t.addNode();
    const base = Date.UTC(2026, 2, 14, 10);
    await t.heartbeat(a.token, {
      records: [r(1, '1', '2', base + 5), r(2, '3', '4', base + 2 * H + 5), r(3, '5', '6', base + 24 * H)],
    });
    const hourly = (await t.admin(`/api/v1/nodes/${a.id}/series?from=${base}&to=${base + 3 * H}&step=hour`)).json();
    expect(hourly.points).toEqual([
      { at: base, rx: '1', tx: '2', total: '3' },
      { at: base + H, rx: '0', tx: '0', total: '0' },
      { at: base + 2 * H, rx: '3', tx: '4', total: '7' },
    ]);
    const daily = (
      await t.admin(`/api/v1/nodes/${a.id}/series?from=2026-03-14T00:00:00Z&to=2026-03-16T00:00:00Z&bucket=day`)
    ).json();
    expect(daily.points).toEqual([
      { at: Date.UTC(2026, 2, 14), rx: '4', tx: '6', total: '10' },
      { at: Date.UTC(2026, 2, 15), rx: '5', tx: '6', total: '11' },
    ]);
    expect((await t.admin(`/api/v1/nodes/${a.id}/series?from=yesterday`)).json().error.code).toBe('TC_BAD_RANGE');
    expect((await t.admin(`/api/v1/nodes/${a.id}/series?from=${base}&to=${base}`)).statusCode).toBe(400);
    expect((await t.admin(`/api/v1/nodes/${a.id}/series?step=minute`)).json().error.code).toBe('TC_VALIDATION');
    expect((await t.admin('/api/v1/nodes/999/series')).json().error.code).toBe('TC_NODE_NOT_FOUND');
  });

  it('resets the period on request', async () => {
    t = await makeTestApp();
    const a = await t.addNode();
    await t.heartbeat(a.token, { records: [r(1, '9', '9', t.clock.now - 10)] });
    const res = await t.admin(`/api/v1/nodes/${a.id}/period/reset`, 'POST');
    expect(res.json().traffic).toMatchObject({ period: '0', periodStart: t.clock.now, total: '18' });
    expect((await t.admin('/api/v1/nodes/424242/period/reset', 'POST')).statusCode).toBe(404);
  });

  it('healthz and metrics', async () => {
    t = await makeTestApp();
    const a = await t.addNode();
    expect((await t.app.inject('/healthz')).json()).toEqual({ ok: true, engine: 'sqlite' });
    await t.heartbeat(a.token, { records: [r(1, '1', '1', t.clock.now)] });
    await t.heartbeat(a.token, { records: [r(1, '1', '1', t.clock.now)] });
    const m = (await t.app.inject('/metrics')).body;
    expect(m).toMatch(/traffic_collector_ingest_records_total 1\n/);
    expect(m).toMatch(/traffic_collector_duplicate_records_total 1\n/);
    expect(m).toMatch(/traffic_collector_nodes_online 1\n/);
    expect(m).toMatch(
      /traffic_collector_http_requests_total\{method="POST",route="\/api\/v1\/agent\/heartbeat",status="200"\} 2/,
    );
    await t.store.close();
    const down = await t.app.inject('/healthz');
    expect(down.statusCode).toBe(ERRORS.TC_DB_UNAVAILABLE.status);
  });
});
