import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createRng } from '../../src/loadgen/rng.js';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startHeartbeatServer, type HeartbeatServer } from '../support/heartbeat-server.js';

const TOKEN = 'tok';
let proxy: FaultProxy | null = null;
let servers: HeartbeatServer[] = [];
afterEach(async () => {
  await proxy?.close();
  for (const s of servers) await s.close();
  proxy = null;
  servers = [];
});

const hb = (seq: number) => ({
  epoch: '0123456789abcdef',
  records: [{ seq, from: 1, to: 2, rx: '10', tx: '1' }],
  load: null,
  uptimeSec: 1,
  bootId: null,
  agentVersion: 't',
  sentAt: 3,
});

async function post(url: string, seq: number): Promise<{ status: number; body: unknown } | { error: string }> {
  try {
    const res = await request(new URL(HEARTBEAT_PATH, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(hb(seq)),
      reset: true,
    });
    return { status: res.statusCode, body: await res.body.json() };
  } catch (err) {
    return { error: (err as { code?: string }).code ?? (err as Error).message };
  }
}

describe('fault proxy', () => {
  it('passes, cuts before the collector, drops after it, delays, and refuses connections for a while', async () => {
    const up = await startHeartbeatServer({ token: TOKEN });
    servers.push(up);
    proxy = await startFaultProxy({
      upstreams: [up.url],
      random: createRng(1).next,
      rates: { refuse: 0, delay: 0, cut: 0, drop: 0, twice: 0 },
      refuseMs: [300, 300],
      delayMs: [150, 150],
    });

    expect(await post(proxy.url, 1)).toMatchObject({ status: 200, body: { acked: [1], duplicates: 0 } });

    proxy.forceNext('cut');
    expect(await post(proxy.url, 2)).toHaveProperty('error');
    expect(up.records.has('0123456789abcdef:2')).toBe(false);

    proxy.forceNext('drop');
    expect(await post(proxy.url, 3)).toHaveProperty('error');
    expect(up.records.has('0123456789abcdef:3')).toBe(true);
    expect(await post(proxy.url, 3)).toMatchObject({ status: 200, body: { acked: [3], duplicates: 1 } });

    proxy.forceNext('twice');
    expect(await post(proxy.url, 6)).toMatchObject({ status: 200, body: { acked: [6] } });
    expect(up.counters.requests).toBe(5);
    expect(up.counters.duplicates).toBe(2);

    proxy.forceNext('delay');
    const t0 = Date.now();
    expect(await post(proxy.url, 4)).toMatchObject({ status: 200 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);

    proxy.forceNext('refuse');
    expect(await post(proxy.url, 5)).toHaveProperty('error');
    expect(await post(proxy.url, 5)).toEqual({ error: 'ECONNREFUSED' });
    const deadline = Date.now() + 5000;
    let back = await post(proxy.url, 5);
    while ('error' in back && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      back = await post(proxy.url, 5);
    }
    expect(back).toMatchObject({ status: 200, body: { acked: [5] } });
    expect(proxy.counts).toMatchObject({ cut: 1, dropped: 1, doubled: 1, delayed: 1, refused: 1, duplicates: 2 });
  });

  it('alternates between upstreams and skips one that is down', async () => {
    const a = await startHeartbeatServer({ token: TOKEN });
    const b = await startHeartbeatServer({ token: TOKEN });
    servers.push(a, b);
    proxy = await startFaultProxy({
      upstreams: [a.url, b.url],
      random: createRng(2).next,
      rates: { refuse: 0, delay: 0, cut: 0, drop: 0, twice: 0 },
    });
    for (let seq = 1; seq <= 4; seq++) expect(await post(proxy.url, seq)).toMatchObject({ status: 200 });
    expect(a.counters.requests).toBe(2);
    expect(b.counters.requests).toBe(2);
    await a.setMode('refuse');
    for (let seq = 5; seq <= 8; seq++) expect(await post(proxy.url, seq)).toMatchObject({ status: 200 });
    expect(b.counters.requests).toBe(6);
    expect(proxy.counts.failovers).toBe(2);
    await b.setMode('refuse');
    expect(await post(proxy.url, 9)).toMatchObject({ status: 502 });
    expect(proxy.counts.upstreamDown).toBe(1);
  });
});
