/**
 * The Xboard-compatible node API, as shared/reference/xboard-contract.md describes the panel: query or body
 * credentials, node_type aliases, the panel's success and error bodies, ETag/304, per-user booking with the node's
 * rate on the measured day, idempotent replays, and the per-user read API.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  SERVER_REPORT_V2_PATH,
  UNIPROXY_PREFIX,
  UNIPROXY_PUSH_PATH,
  UNIPROXY_USER_PATH,
} from '../../src/protocol/uniproxy.js';
import { makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp;
afterEach(async () => {
  await t?.close();
});
const DAY = 86_400;

const push = (q: string, body: unknown, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: `${UNIPROXY_PUSH_PATH}?${q}`,
    headers,
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('Xboard UniProxy push', () => {
  it('answers the panel success body and books u/d x rate per (user, node, rate, day)', async () => {
    t = await makeTestApp();
    const n = await t.addNode({ rate: '1.5' });
    const res = await push(`node_type=v2ray&node_id=${n.id}&token=${n.token}`, {
      1: [1024, 4096],
      7: [0, 512],
      bad: [1, 2],
      8: [1],
      9: ['x', 1],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'success', message: '操作成功', data: true, error: null });
    const day = Math.floor(Date.UTC(2026, 2, 15) / 1000);
    expect(await t.store.nodeUsers(n.id, day, day + DAY, 10)).toEqual([
      { userId: 1, u: 1536n, d: 6144n },
      { userId: 7, u: 0n, d: 768n },
    ]);
    expect((await t.store.getNodeStats(n.id))?.lastSeen).toBe(t.clock.now);
  });

  it('takes node_id and token from the JSON body, a Bearer header, or the global serverToken; reads any Content-Type', async () => {
    t = await makeTestApp({ serverToken: 'global-server-token' });
    const n = await t.addNode();
    const ok = (r: { statusCode: number; json(): unknown }) => {
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ data: true });
    };
    ok(
      await t.app.inject({
        method: 'POST',
        url: UNIPROXY_PUSH_PATH,
        headers: { 'content-type': 'text/plain' },
        payload: JSON.stringify({ node_id: n.id, token: n.token, 1: [1, 1] }),
      }),
    );
    ok(await push(`node_id=${n.id}`, { 1: [1, 1] }, { authorization: `Bearer ${n.token}` }));
    ok(await push(`node_id=${n.id}&token=global-server-token&node_type=hysteria2`, { 1: [1, 1] }));
    ok(
      await t.app.inject({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: '{"1":[1,1]}',
      }),
    );
    const day = Math.floor(Date.UTC(2026, 2, 15) / 1000);
    expect(await t.store.userTraffic(1, day, day + DAY)).toEqual([{ serverId: n.id, u: 4n, d: 4n }]);
  });

  it('answers a bad token 422 and an unknown node 400 with the panel bodies, storing nothing', async () => {
    t = await makeTestApp({ serverToken: 'global-server-token' });
    const a = await t.addNode();
    const b = await t.addNode();
    for (const q of [
      `node_id=${a.id}&token=wrong`,
      `node_id=${a.id}`,
      `node_id=${a.id}&token=${b.token}`,
      'node_id=999&token=wrong',
    ]) {
      const res = await push(q, { 1: [1, 1] });
      expect(res.statusCode, q).toBe(422);
      expect(res.json(), q).toEqual({ message: 'Invalid token', errors: { token: ['Invalid token'] } });
    }
    for (const q of [
      'node_id=999&token=global-server-token',
      `node_id=999&token=${a.token}`,
      `node_id=${a.id}&token=global-server-token&node_type=gopher`,
      'token=global-server-token',
    ]) {
      const res = await push(q, { 1: [1, 1] });
      expect(res.statusCode, q).toBe(400);
      expect(res.json(), q).toEqual({ status: 'fail', message: 'Server does not exist', data: null, error: null });
    }
    const notObject = await push(`node_id=${a.id}&token=${a.token}`, '[1,2]');
    expect(notObject.statusCode).toBe(422);
    expect(await t.store.rankUsers(0, 2 ** 31, 10)).toEqual([]);
  });

  it('an Idempotency-Key already applied is acknowledged and not applied again', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const headers = { 'idempotency-key': `${n.id}:0123456789abcdef:41` };
    for (let i = 0; i < 3; i++)
      expect((await push(`node_id=${n.id}&token=${n.token}`, { 5: [10, 20] }, headers)).json()).toMatchObject({
        data: true,
      });
    await push(`node_id=${n.id}&token=${n.token}`, { 5: [1, 2] }, { 'idempotency-key': `${n.id}:0123456789abcdef:42` });
    const day = Math.floor(Date.UTC(2026, 2, 15) / 1000);
    expect(await t.store.userTraffic(5, day, day + DAY)).toEqual([{ serverId: n.id, u: 11n, d: 22n }]);
    const other = await push(
      `node_id=${n.id}&token=${n.token}`,
      { 5: [1, 2] },
      { 'idempotency-key': `${n.id + 1}:0123456789abcdef:1` },
    );
    expect(other.statusCode).toBe(422);
  });

  it('a backlog measured before midnight and delivered after is booked on the measurement day (collector timezone)', async () => {
    t = await makeTestApp({ timezone: 'Asia/Shanghai' }, Date.UTC(2026, 2, 15, 16, 5)); // 00:05 on the 16th in Shanghai
    const n = await t.addNode();
    const measured = Date.UTC(2026, 2, 15, 15, 58); // 23:58 on the 15th in Shanghai
    await push(`node_id=${n.id}&token=${n.token}`, { 3: [100, 200] }, { 'x-traffic-measured-at': String(measured) });
    await push(`node_id=${n.id}&token=${n.token}`, { 3: [1, 2] }); // no header: booked when received
    const day15 = Math.floor(Date.UTC(2026, 2, 14, 16) / 1000); // 2026-03-15 00:00 +08:00
    const rows = await t.store.userTraffic(3, day15, day15 + DAY);
    expect(rows).toEqual([{ serverId: n.id, u: 100n, d: 200n }]);
    expect(await t.store.userTraffic(3, day15 + DAY, day15 + 2 * DAY)).toEqual([{ serverId: n.id, u: 1n, d: 2n }]);
  });
});

describe('Xboard user, config, alive, status and V2 report', () => {
  it('GET user answers {"users":[]} with an ETag, 304 on If-None-Match, and marks the node seen', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const res = await t.app.inject({ url: `${UNIPROXY_USER_PATH}?node_id=${n.id}&node_type=vmess&token=${n.token}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ users: [] });
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[0-9a-f]{40}"$/);
    const again = await t.app.inject({
      url: `${UNIPROXY_USER_PATH}?node_id=${n.id}&token=${n.token}`,
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().online).toBe(true);
    expect((await t.app.inject({ url: `${UNIPROXY_USER_PATH}?node_id=${n.id}&token=nope` })).statusCode).toBe(422);
  });

  it('GET config gives base_config intervals; alive, alivelist and status answer as the panel', async () => {
    t = await makeTestApp({ heartbeatIntervalSec: 30 });
    const n = await t.addNode();
    const q = `node_id=${n.id}&token=${n.token}`;
    expect((await t.app.inject({ url: `${UNIPROXY_PREFIX}/config?${q}` })).json()).toEqual({
      base_config: { push_interval: 30, pull_interval: 30 },
    });
    expect(
      (
        await t.app.inject({ method: 'POST', url: `${UNIPROXY_PREFIX}/alive?${q}`, payload: { 1: ['1.2.3.4'] } })
      ).json(),
    ).toEqual({ data: true });
    expect((await t.app.inject({ url: `${UNIPROXY_PREFIX}/alivelist?${q}` })).json()).toEqual({ alive: {} });
    expect(
      (await t.app.inject({ method: 'POST', url: `${UNIPROXY_PREFIX}/status?${q}`, payload: { cpu: 1 } })).json(),
    ).toEqual({ data: true, code: 0, message: 'success' });
  });

  it('POST /api/v2/server/report books its traffic part and accepts its status part', async () => {
    t = await makeTestApp();
    const n = await t.addNode({ rate: '2' });
    const res = await t.app.inject({
      method: 'POST',
      url: SERVER_REPORT_V2_PATH,
      payload: {
        token: n.token,
        node_id: n.id,
        traffic: { 1: [1024, 4096] },
        alive: { 1: ['1.2.3.4'] },
        online: { 1: 3 },
        status: { cpu: 12.5, mem: { total: 1, used: 1 }, swap: { total: 0, used: 0 }, disk: { total: 0, used: 0 } },
        metrics: { uptime: 3600 },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ data: true });
    expect(await t.store.nodeUsers(n.id, 0, 2 ** 31, 10)).toEqual([{ userId: 1, u: 2048n, d: 8192n }]);
    const bad = await t.app.inject({
      method: 'POST',
      url: SERVER_REPORT_V2_PATH,
      payload: { token: 'x', node_id: n.id },
    });
    expect(bad.statusCode).toBe(422);
  });
});

describe('per-user read API', () => {
  it("ranks users across nodes, shows one user per node, and a node's top users", async () => {
    t = await makeTestApp();
    const a = await t.addNode();
    const b = await t.addNode();
    await push(`node_id=${a.id}&token=${a.token}`, { 1: [100, 100], 2: [5, 5] });
    await push(`node_id=${b.id}&token=${b.token}`, { 1: [1, 1], 2: [300, 0] });
    const rank = (await t.admin('/api/v1/rankings/users?from=2026-03-15&to=2026-03-16&limit=10')).json();
    expect(rank.users).toEqual([
      { userId: 2, u: '305', d: '5', total: '310' },
      { userId: 1, u: '101', d: '101', total: '202' },
    ]);
    const one = (
      await t.admin(`/api/v1/users/1/traffic?from=${Date.UTC(2026, 2, 15)}&to=${Date.UTC(2026, 2, 16)}`)
    ).json();
    expect(one).toMatchObject({
      userId: 1,
      nodes: [
        { nodeId: a.id, u: '100', d: '100', total: '200' },
        { nodeId: b.id, u: '1', d: '1', total: '2' },
      ],
      total: { u: '101', d: '101', total: '202' },
    });
    const top = (await t.admin(`/api/v1/nodes/${b.id}/users?limit=1`)).json();
    expect(top.users).toEqual([{ userId: 2, u: '300', d: '0', total: '300' }]);
    expect((await t.admin('/api/v1/rankings/users?from=2026-03-16&to=2026-03-17')).json().users).toEqual([]);
    expect((await t.admin('/api/v1/nodes/999/users')).statusCode).toBe(404);
  });
});
