/** GET /api/v1/nodes/:id/load: load history through the heartbeat route and the read API (app.inject, real SQLite). */
import { afterEach, describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { LoadHistory } from '../../src/collector/routes/load.js';
import { makeTestApp, type TestApp } from './app-helper.js';

const H = 3_600_000;
const MIN = 60_000;
let t: TestApp;
afterEach(async () => {
  await t?.close();
});

/** One heartbeat a minute for `minutes`, load 1 rising by 0.1 each; the agent's clock equals the collector's. */
async function beats(token: string, minutes: number, seqFrom = 1): Promise<void> {
  for (let i = 0; i < minutes; i++) {
    t.clock.now += MIN;
    const seq = seqFrom + i;
    const res = await t.heartbeat(token, {
      records: [{ seq, from: t.clock.now - MIN, to: t.clock.now, rx: '100', tx: '10' }],
      load: [0.1 * (i + 1), 0.5, 0.25],
      sentAt: t.clock.now,
    });
    expect(res.statusCode).toBe(200);
  }
}

describe('GET /api/v1/nodes/:id/load', () => {
  it('answers raw samples for short windows and hourly min/avg/max for long ones, in the documented shape', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    await beats(n.token, 90);
    const day = await t.admin(`/api/v1/nodes/${n.id}/load?window=24h`);
    expect(day.statusCode).toBe(200);
    const body = day.json();
    expect(Value.Check(LoadHistory, body)).toBe(true);
    expect(body).toMatchObject({ nodeId: n.id, window: '24h', resolution: 'raw' });
    expect(body.points).toHaveLength(90);
    expect(body.points[0]).toEqual({ at: body.to - 1 - 89 * MIN, load: [0.1, 0.5, 0.25] });
    expect(body.to - body.from).toBe(24 * H);

    const hour = (await t.admin(`/api/v1/nodes/${n.id}/load?window=1h`)).json();
    expect(hour.points).toHaveLength(60);

    const month = (await t.admin(`/api/v1/nodes/${n.id}/load?window=30d`)).json();
    expect(Value.Check(LoadHistory, month)).toBe(true);
    expect(month.resolution).toBe('hour');
    const total = month.points.reduce((a: number, p: { samples: number }) => a + p.samples, 0);
    expect(total).toBe(90);
    for (const p of month.points) {
      expect(p.at % H).toBe(0);
      expect(p.min[0]).toBeLessThanOrEqual(p.load[0]);
      expect(p.max[0]).toBeGreaterThanOrEqual(p.load[0]);
      expect(p.load[1]).toBeCloseTo(0.5, 9);
    }
    // The default window is 24 hours.
    expect((await t.admin(`/api/v1/nodes/${n.id}/load`)).json().window).toBe('24h');
  });

  it('a resent heartbeat (lost response) is acknowledged and adds no sample', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    await beats(n.token, 1);
    const first = { seq: 1, from: t.clock.now - MIN, to: t.clock.now, rx: '100', tx: '10' };
    t.clock.now += MIN;
    const res = await t.heartbeat(n.token, { records: [first], load: [8, 8, 8], sentAt: t.clock.now });
    expect(res.json()).toMatchObject({ acked: [1], duplicates: 1 });
    const points = (await t.admin(`/api/v1/nodes/${n.id}/load?window=1h`)).json().points;
    expect(points.map((p: { load: number[] }) => p.load[0])).toEqual([0.1]);
  });

  it('uses hourly points for any window longer than the configured raw retention', async () => {
    t = await makeTestApp({ loadRawRetentionHours: 6 });
    const n = await t.addNode();
    await beats(n.token, 3);
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=6h`)).json()).toMatchObject({ resolution: 'raw' });
    const day = (await t.admin(`/api/v1/nodes/${n.id}/load?window=24h`)).json();
    expect(day).toMatchObject({ resolution: 'hour' });
    expect(day.points.reduce((a: number, p: { samples: number }) => a + p.samples, 0)).toBe(3);
  });

  it('refuses an unknown window (naming the allowed ones), an unknown node, a bad id and a missing token', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const week = await t.admin(`/api/v1/nodes/${n.id}/load?window=week`);
    expect(week.statusCode).toBe(400);
    expect(week.json().error.code).toBe('TC_VALIDATION');
    expect(week.json().error.message).toMatch(/1h.*24h.*90d/);
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=24h&x=1`)).statusCode).toBe(400);
    const missing = await t.admin('/api/v1/nodes/999/load');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('TC_NODE_NOT_FOUND');
    expect((await t.admin('/api/v1/nodes/01/load')).statusCode).toBe(400);
    const anon = await t.app.inject({ method: 'GET', url: `/api/v1/nodes/${n.id}/load` });
    expect(anon.statusCode).toBe(401);
  });

  it('a load no machine has (1e308) is not kept as a sample, and the heartbeat still counts its record', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const rec = { seq: 1, from: t.clock.now - MIN, to: t.clock.now, rx: '100', tx: '10' };
    const res = await t.heartbeat(n.token, { records: [rec], load: [1e308, 1e308, 1e308], sentAt: t.clock.now });
    expect(res.json()).toMatchObject({ acked: [1] });
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().traffic.totalRx).toBe('100');
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=24h`)).json().points).toEqual([]);
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=30d`)).json().points).toEqual([]);
    // Two windows, a window that is not a string, one of many kilobytes: refused, each with TC_VALIDATION.
    for (const q of ['window=24h&window=7d', 'window[a]=1', `window=${'9'.repeat(5000)}`]) {
      const bad = await t.admin(`/api/v1/nodes/${n.id}/load?${q}`);
      expect(bad.statusCode, q).toBe(400);
      expect(bad.json().error.code).toBe('TC_VALIDATION');
    }
  });

  it('a node without samples answers an empty list, not an error', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const res = await t.heartbeat(n.token, { load: null, sentAt: t.clock.now });
    expect(res.statusCode).toBe(200);
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=48h`)).json()).toMatchObject({ points: [] });
    expect((await t.admin(`/api/v1/nodes/${n.id}/load?window=90d`)).json()).toMatchObject({ points: [] });
  });
});
