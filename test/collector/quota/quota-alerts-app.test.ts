/**
 * Quotas, pools and alerts through the app (inject) with the alert loop running and a webhook receiver on
 * 127.0.0.1: thresholds fire once each, a new period re-arms them, failures are retried until a 2xx, node offline /
 * back online / reboot alerts, the three body formats, signatures, /api/v1/alerts and /metrics.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { until } from '../../support/until.js';
import { WebhookReceiver } from '../../support/webhook-receiver.js';
import { ADMIN, makeTestApp, type TestApp } from '../app-helper.js';

const SECRET = 'webhook-secret-0123456789';
const START = Date.UTC(2026, 2, 15, 12);
let t: TestApp;
let rx: WebhookReceiver;
afterEach(async () => {
  await t?.close();
  await rx?.stop();
});

const rec = (seq: number, rxB: string, txB: string, to: number, events?: string[]) => ({
  seq,
  from: to - 1000,
  to,
  rx: rxB,
  tx: txB,
  ...(events ? { events } : {}),
});

async function api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  return t.app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN}` }, ...(payload ? { payload } : {}) });
}

async function setup(extra: Record<string, unknown> = {}) {
  rx = await new WebhookReceiver(SECRET).start();
  t = await makeTestApp(
    {
      alertChannels: [
        { name: 'ops', url: rx.url('/ops'), secret: SECRET },
        { name: 'tg', url: rx.url('/tg'), secret: SECRET, format: 'telegram', telegramChatId: '-100123' },
        { name: 'slack', url: rx.url('/slack'), format: 'slack' },
      ],
      alerts: {
        evalIntervalSec: 0.05,
        retryBaseMs: 1000,
        requestTimeoutMs: 2000,
        nodeOffline: false,
        nodeEvents: false,
        ...extra,
      },
    },
    START,
    { runAlerts: true },
  );
}

const quotaKeys = () =>
  rx
    .unique()
    .filter((r) => r.path === '/ops')
    .map((r) => JSON.parse(r.body) as { id: string; kind: string })
    .filter((d) => d.kind === 'quota')
    .map((d) => d.id)
    .sort();

describe('quota alerts', () => {
  it('fires each threshold once per period, in every format, signed, and re-arms in the next period', async () => {
    await setup();
    const n = await t.addNode();
    const q = await api('POST', '/api/v1/quotas', {
      nodeId: n.id,
      limit: '1000',
      measure: 'max',
      thresholds: [50, 100],
      channels: ['ops', 'tg', 'slack'],
    });
    expect(q.statusCode).toBe(201);
    const qid = q.json().id as number;
    const now = START;
    // 600 received, 100 sent: max = 600 = 60 %.
    await t.heartbeat(n.token, { records: [rec(1, '600', '100', now)] });
    await until(() => rx.received.length >= 3, 'the 50 % alert on three channels');
    const k50 = `quota:${qid}:p${Date.UTC(2026, 2, 1)}:t50`;
    const ops = rx.received.find((r) => r.path === '/ops')!;
    expect(ops.signatureOk).toBe(true);
    expect(ops.key).toBe(`${k50}@ops`);
    const doc = JSON.parse(ops.body);
    expect(doc).toMatchObject({
      version: 1,
      id: k50,
      kind: 'quota',
      node: { id: n.id, name: 'n' },
      pool: null,
      quota: { id: qid, measure: 'max', limit: '1000', threshold: 50 },
      usage: { used: '600', percent: '60.00' },
      period: { start: Date.UTC(2026, 2, 1), end: Date.UTC(2026, 3, 1) },
    });
    expect(doc.projection).toHaveProperty('reachAt');
    const tg = JSON.parse(rx.received.find((r) => r.path === '/tg')!.body);
    expect(tg.chat_id).toBe('-100123');
    expect(tg.text).toContain('node n: 50 % of its 1.00 KB quota reached');
    expect(rx.received.find((r) => r.path === '/tg')!.signatureOk).toBe(true);
    const slack = rx.received.find((r) => r.path === '/slack')!;
    expect(JSON.parse(slack.body).text).toContain('used 600 B of 1.00 KB (60.00 %, max)');
    expect(slack.headers['x-traffic-signature']).toBeUndefined(); // no secret on that channel

    // Sitting at 70 % for many evaluation passes: nothing new.
    await t.heartbeat(n.token, { records: [rec(2, '100', '0', now + 1000)] });
    await new Promise((r) => setTimeout(r, 400));
    expect(rx.received).toHaveLength(3);

    // One heartbeat jumps past 100 %.
    await t.heartbeat(n.token, { records: [rec(3, '500', '0', now + 2000)] });
    await until(() => rx.received.length >= 6, 'the 100 % alert');
    expect(quotaKeys()).toEqual([k50, `quota:${qid}:p${Date.UTC(2026, 2, 1)}:t100`].sort());

    // April: a new period starts at zero and re-arms both thresholds.
    t.clock.now = Date.UTC(2026, 3, 2);
    await t.heartbeat(n.token, { records: [rec(4, '1000', '0', t.clock.now)] });
    await until(() => rx.received.length >= 12, 'both April alerts');
    const april = Date.UTC(2026, 3, 1);
    expect(quotaKeys()).toEqual(
      [
        k50,
        `quota:${qid}:p${Date.UTC(2026, 2, 1)}:t100`,
        `quota:${qid}:p${april}:t50`,
        `quota:${qid}:p${april}:t100`,
      ].sort(),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received).toHaveLength(12);
    expect(new Set(rx.received.map((r) => r.key)).size).toBe(12);

    const alerts = (await api('GET', '/api/v1/alerts?limit=10')).json().alerts as Array<{ state: string; key: string }>;
    expect(alerts).toHaveLength(4);
    expect(alerts.every((a) => a.state === 'delivered')).toBe(true);
    const m = parsePrometheus((await t.app.inject({ url: '/metrics' })).body);
    expect(sampleValue(m, 'traffic_collector_alerts_fired_total', { kind: 'quota' })).toBe(4);
    expect(sampleValue(m, 'traffic_collector_alerts_delivered_total', { channel: 'ops' })).toBe(4);
  });

  it('a pool quota sums its nodes; GET /api/v1/quotas shows usage and projection', async () => {
    await setup();
    const a = await t.addNode();
    const b = await t.addNode();
    const pool = await api('POST', '/api/v1/pools', { name: 'acct', resetDay: 1, timezone: 'UTC' });
    expect(pool.statusCode).toBe(201);
    const pid = pool.json().id;
    expect((await api('PUT', `/api/v1/pools/${pid}/nodes/${a.id}`)).json()).toMatchObject({ added: true });
    expect((await api('PUT', `/api/v1/pools/${pid}/nodes/${b.id}`)).json()).toMatchObject({ added: true });
    expect((await api('PUT', `/api/v1/pools/${pid}/nodes/999`)).json().error.code).toBe('TC_NODE_NOT_FOUND');
    expect((await api('POST', '/api/v1/pools', { name: 'acct' })).json().error.code).toBe('TC_POOL_EXISTS');
    const q = await api('POST', '/api/v1/quotas', { poolId: pid, limit: '10kB', measure: 'sum', thresholds: [80] });
    expect(q.statusCode).toBe(201);
    // Hour-aligned rollups: traffic an hour ago on a, now on b.
    await t.heartbeat(a.token, { records: [rec(1, '3000', '1000', START - 3_600_000)] });
    await t.heartbeat(b.token, { records: [rec(1, '2000', '2000', START)] });
    const list = (await api('GET', '/api/v1/quotas')).json().quotas;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      poolId: pid,
      owner: 'acct',
      nodeIds: [a.id, b.id],
      limit: '10000',
      usage: { used: '8000', percent: '80.00', reached: [80], periodStart: Date.UTC(2026, 2, 1) },
    });
    // 8000 bytes in the last 24 h -> 2000 more in 6 h.
    expect(list[0].usage.projection24h.reachAt).toBe(START + 6 * 3_600_000);
    await until(() => rx.received.some((r) => r.path === '/ops'), 'the pool alert');
    const doc = JSON.parse(rx.received.find((r) => r.path === '/ops')!.body);
    expect(doc.pool).toEqual({ id: pid, name: 'acct', nodeIds: [a.id, b.id] });
    expect(doc.title).toContain('pool acct: 80 %');
  });

  it('refuses bad quotas with TC_BAD_QUOTA or TC_VALIDATION', async () => {
    await setup();
    const n = await t.addNode();
    const bad = async (body: unknown) => (await api('POST', '/api/v1/quotas', body)).json().error.code;
    expect(await bad({ limit: '1TB' })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, poolId: 1, limit: '1TB' })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: '0' })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: '9223372036854775808' })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: 'lots' })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: '1TB', thresholds: [80, 80] })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: '1TB', cycleDays: 30 })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: '1TB', channels: ['nope'] })).toBe('TC_BAD_QUOTA');
    expect(await bad({ nodeId: n.id, limit: 1000 })).toBe('TC_VALIDATION');
    expect(await bad({ nodeId: n.id, limit: '1TB', measure: 'avg' })).toBe('TC_VALIDATION');
    expect(await bad({ nodeId: 4242, limit: '1TB' })).toBe('TC_NODE_NOT_FOUND');
    expect((await api('DELETE', '/api/v1/quotas/4242')).json().error.code).toBe('TC_QUOTA_NOT_FOUND');
    expect((await t.app.inject({ url: '/api/v1/quotas' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/api/v1/alerts' })).statusCode).toBe(401);
  });
});

describe('delivery', () => {
  it('retries a failing receiver with backoff and marks delivered only after a 2xx', async () => {
    await setup();
    rx.plan = ['fail', 'drop', 'fail'];
    const n = await t.addNode();
    await api('POST', '/api/v1/quotas', { nodeId: n.id, limit: '100', thresholds: [100], channels: ['ops'] });
    await t.heartbeat(n.token, { records: [rec(1, '100', '0', START)] });
    await until(() => rx.received.length >= 1, 'the first attempt');
    let alerts = (await api('GET', '/api/v1/alerts')).json().alerts;
    await until(async () => {
      alerts = (await api('GET', '/api/v1/alerts')).json().alerts;
      return alerts[0].deliveries[0].lastError !== null;
    }, 'the failure recorded');
    expect(alerts[0].state).toBe('pending');
    // Backoff: nothing is sent again until its time comes (the app clock is still).
    await new Promise((r) => setTimeout(r, 300));
    expect(rx.received).toHaveLength(1);
    // The failure is logged after it is recorded; only then does moving the clock make the retry due.
    const failures = () => t.logs.filter((l) => l.includes('"event":"alert-delivery-failed"')).length;
    for (let i = 0; i < 3; i++) {
      await until(() => failures() >= i + 1, `failure ${i + 1} recorded`);
      t.clock.now += 10 * 60_000;
      await until(() => rx.received.length >= i + 2, `attempt ${i + 2}`);
    }
    await until(async () => (await api('GET', '/api/v1/alerts')).json().alerts[0].state === 'delivered', 'delivered');
    expect(rx.received.map((r) => r.answered)).toEqual(['fail', 'drop', 'fail', 'ok']);
    expect(new Set(rx.received.map((r) => r.key)).size).toBe(1);
    expect(rx.received.every((r) => r.body === rx.received[0].body && r.signatureOk)).toBe(true);
    const d = (await api('GET', '/api/v1/alerts')).json().alerts[0].deliveries[0];
    expect(d).toMatchObject({ channel: 'ops', state: 'delivered', attempts: 4, lastError: null });
    const m = parsePrometheus((await t.app.inject({ url: '/metrics' })).body);
    expect(sampleValue(m, 'traffic_collector_alerts_failed_total', { channel: 'ops' })).toBe(3);
    expect(sampleValue(m, 'traffic_collector_alerts_delivered_total', { channel: 'ops' })).toBe(1);
  });

  it('gives up after giveUpAfterHours: state failed', async () => {
    await setup({ giveUpAfterHours: 1 });
    rx.fallback = 'fail';
    const n = await t.addNode();
    await api('POST', '/api/v1/quotas', { nodeId: n.id, limit: '100', thresholds: [100], channels: ['ops'] });
    await t.heartbeat(n.token, { records: [rec(1, '100', '0', START)] });
    await until(() => rx.received.length >= 1, 'the first attempt');
    await until(
      async () => (await api('GET', '/api/v1/alerts')).json().alerts[0].deliveries[0].lastError !== null,
      'the failure recorded',
    );
    t.clock.now += 2 * 3_600_000;
    await until(() => rx.received.length >= 2, 'the last attempt');
    await until(async () => (await api('GET', '/api/v1/alerts')).json().alerts[0].state === 'failed', 'failed');
  });
});

describe('hostile receivers', () => {
  it('an answer that never comes is cut at requestTimeoutMs; an endless answer is read to maxResponseBytes only', async () => {
    await setup({ requestTimeoutMs: 300, maxResponseBytes: 1024 });
    rx.plan = ['hold'];
    // A second receiver that answers 200 and then streams without end.
    let streamed = 0;
    const endless = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const chunk = Buffer.alloc(64 * 1024, 120);
        const timer = setInterval(() => {
          streamed += chunk.length;
          if (!res.write(chunk) && streamed > 64 * 1024 * 1024) clearInterval(timer);
        }, 1);
        res.on('close', () => clearInterval(timer));
      });
    });
    await new Promise<void>((r) => endless.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (endless.address() as AddressInfo).port;
      const n = await t.addNode();
      await api('POST', '/api/v1/quotas', { nodeId: n.id, limit: '100', thresholds: [100], channels: ['ops'] });
      const started = Date.now();
      await t.heartbeat(n.token, { records: [rec(1, '100', '0', START)] });
      await until(async () => {
        const d = (await api('GET', '/api/v1/alerts')).json().alerts[0]?.deliveries[0];
        return d !== undefined && d.lastError !== null;
      }, 'the held attempt given up');
      expect(Date.now() - started).toBeLessThan(5000);
      const d = (await api('GET', '/api/v1/alerts')).json().alerts[0].deliveries[0];
      expect(d).toMatchObject({ state: 'pending', attempts: 1 });
      expect(d.lastError).toMatch(/Timeout|Abort/i);

      // The same collector code against the endless answer (sendWebhook directly: the app's channels are fixed).
      const { sendWebhook, webhookAgent } = await import('../../../src/collector/alerts/webhook-delivery.js');
      const agent = webhookAgent(2000, true);
      const t0 = Date.now();
      const res = await sendWebhook(agent, { name: 'x', url: `http://127.0.0.1:${port}/`, format: 'json' }, 'k', '{}', {
        timeoutMs: 2000,
        maxResponseBytes: 1024,
      });
      expect(res).toEqual({ ok: true, status: 200 });
      expect(Date.now() - t0).toBeLessThan(2000);
      await agent.close();
      expect(streamed).toBeLessThan(64 * 1024 * 1024);
    } finally {
      endless.closeAllConnections();
      await new Promise((r) => endless.close(r));
    }
  });
});

describe('node alerts', () => {
  it('offline once per silence, back online once, and a reboot / broken counter from the records', async () => {
    await setup({ nodeOffline: true, nodeEvents: true });
    const n = await t.addNode();
    await t.heartbeat(n.token, { records: [rec(1, '1', '1', START, ['reboot', 'implausible:eth0', 'wrap:eth0'])] });
    await until(() => rx.received.filter((r) => r.path === '/ops').length >= 2, 'two event alerts');
    // Past the offline threshold (3 x 60 s): offline, once.
    t.clock.now = START + 200_000;
    await until(() => rx.received.filter((r) => r.path === '/ops').length >= 3, 'offline');
    await new Promise((r) => setTimeout(r, 300));
    await t.heartbeat(n.token, {});
    await until(() => rx.received.filter((r) => r.path === '/ops').length >= 4, 'back online');
    await new Promise((r) => setTimeout(r, 300));
    const docs = rx.received.filter((r) => r.path === '/ops').map((r) => JSON.parse(r.body));
    expect(docs.map((d) => [d.kind, d.event?.type])).toEqual([
      ['event', 'reboot'],
      ['event', 'broken-counter'],
      ['offline', 'offline'],
      ['online', 'online'],
    ]);
    expect(docs[2].id).toBe(`offline:${n.id}:${START}`);
    expect(docs[3].id).toBe(`online:${n.id}:${START}`);
  });
});
