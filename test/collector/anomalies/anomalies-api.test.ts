/**
 * GET /api/v1/anomalies through the real collector binary: a month of hourly node traffic with a daily rhythm and
 * one injected spike, and a month of one user's daily traffic on one node with a leaked-account day. Exactly those
 * two are listed, with their expected range and observed value; nothing else is.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { HEARTBEAT_PATH, MAX_RECORDS_PER_HEARTBEAT } from '../../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../../src/protocol/uniproxy.js';
import { startCollector, type CollectorProcess } from '../../support/collector-process.js';

const H = 3_600_000;
const D = 24 * H;
const MB = 1024 * 1024;
let c: CollectorProcess | undefined;
afterAll(async () => {
  await c?.stop();
});

describe('GET /api/v1/anomalies', () => {
  it('lists the injected node spike and the leaked-account day, and nothing else', { timeout: 120_000 }, async () => {
    c = await startCollector();
    const node = await c.addNode({ name: 'busy' });
    const today = Math.floor(Date.now() / D) * D;
    const start = today - 30 * D;
    const spikeAt = today - 2 * D + 3 * H; // 03:00 two days ago
    // 30 days of hourly traffic: quiet nights, busy evenings, a little wobble; one 03:00 with 30 GB.
    const records = [];
    for (let at = start, seq = 1; at < today; at += H, seq++) {
      const h = new Date(at).getUTCHours();
      const base = h < 7 ? 50 : h < 18 ? 600 : 2000;
      const mb = at === spikeAt ? 30_000 : Math.round(base * (1 + 0.05 * Math.sin(seq)));
      records.push({ seq, from: at, to: at + H - 1, rx: String(mb * MB), tx: '0' });
    }
    for (let i = 0; i < records.length; i += MAX_RECORDS_PER_HEARTBEAT) {
      const res = await request(`${c.url}${HEARTBEAT_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          epoch: 'cccccccccccccccc',
          records: records.slice(i, i + MAX_RECORDS_PER_HEARTBEAT),
          load: [0, 0, 0],
          uptimeSec: 1,
          bootId: 'b',
          agentVersion: 't',
          sentAt: Date.now(),
        }),
      });
      expect(res.statusCode, await res.body.text()).toBe(200);
    }
    // One user on the node: about 1 GB a day for a month, then 80 GB yesterday.
    for (let day = start; day < today; day += D) {
      const gb = day === today - D ? 80 : 1 + ((day / D) % 3) * 0.1;
      const res = await request(
        `${c.url}${UNIPROXY_PUSH_PATH}?node_id=${node.id}&node_type=vmess&token=${node.token}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-traffic-measured-at': String(day + 12 * H) },
          body: JSON.stringify({ 42: [0, Math.round(gb * 1024) * MB] }),
        },
      );
      expect(res.statusCode, await res.body.text()).toBe(200);
    }

    const auth = { authorization: `Bearer ${c.adminToken}` };
    const res = await request(`${c.url}/api/v1/anomalies?from=${today - 7 * D}&to=${today}`, { headers: auth });
    expect(res.statusCode).toBe(200);
    const body = (await res.body.json()) as { anomalies: Array<Record<string, unknown>> };
    expect(body.anomalies).toEqual([
      expect.objectContaining({
        scope: 'node-hourly',
        nodeId: node.id,
        kind: 'spike',
        at: spikeAt,
        observed: String(30_000 * MB),
      }),
      expect.objectContaining({
        scope: 'user-daily',
        nodeId: node.id,
        userId: 42,
        kind: 'spike',
        at: today - D,
        observed: String(80 * 1024 * MB),
      }),
    ]);
    const spike = body.anomalies[0];
    expect(BigInt(spike.expected as string)).toBeLessThan(BigInt(60 * MB));
    expect(BigInt(spike.high as string)).toBeLessThan(BigInt(30_000 * MB));

    // node=: only that node's findings (the node dialog's charts ask this way).
    const list = async (q: string) =>
      (
        (await (
          await request(`${c!.url}/api/v1/anomalies?from=${today - 7 * D}&to=${today}&${q}`, { headers: auth })
        ).body.json()) as {
          anomalies: Array<{ scope: string; nodeId: number }>;
        }
      ).anomalies.map((a) => `${a.scope}:${a.nodeId}`);
    expect(await list(`node=${node.id}`)).toEqual([`node-hourly:${node.id}`, `user-daily:${node.id}`]);
    expect(await list(`node=${node.id + 1}`)).toEqual([]);
    expect(await list(`node=${node.id}&kind=node-hourly,node-silent`)).toEqual([`node-hourly:${node.id}`]);
    expect((await request(`${c.url}/api/v1/anomalies?node=0`, { headers: auth })).statusCode).toBe(400);

    const bad = await request(`${c.url}/api/v1/anomalies?kind=week`, { headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(((await bad.body.json()) as { error: { message: string } }).error.message).toContain(
      'allowed: node-hourly, node-silent, user-daily',
    );
  });
});
