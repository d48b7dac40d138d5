/**
 * Issue 10 item 1, collector side: a resend of an (epoch, seq) or push key the collector already holds with DIFFERENT
 * contents (a second agent on one state directory, a state restored from a backup) is never dropped as a duplicate:
 * 409 TC_RECORD_CONFLICT, a warn line naming node/epoch/seq, and a counter in /metrics. Through the real routes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

const rec = (seq: number, rx: string, to: number, events?: string[]) => ({
  seq,
  from: to - 1000,
  to,
  rx,
  tx: '0',
  ...(events ? { events } : {}),
});

async function metric(app: TestApp, name: string): Promise<string[]> {
  const text = (await app.app.inject({ method: 'GET', url: '/metrics' })).body;
  return text.split('\n').filter((l) => l.startsWith(name));
}

describe('conflicting resends through the collector routes', () => {
  it('heartbeat: the prefix before a conflicting record is stored and acked, then the conflicting record gets 409', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const now = t.clock.now;
    expect(
      (await t.heartbeat(n.token, { records: [rec(1, '100', now - 3000), rec(2, '200', now - 2000)] })).statusCode,
    ).toBe(200);
    // The same records re-serialised (events absent vs empty) are ordinary duplicates.
    const dup = await t.heartbeat(n.token, { records: [{ ...rec(1, '100', now - 3000), events: [] }] });
    expect(dup.json()).toMatchObject({ acked: [1], duplicates: 1 });

    // A second writer's seq 2 (other bytes) after the true seq 1, then its seq 3.
    const first = await t.heartbeat(n.token, {
      records: [rec(1, '100', now - 3000), rec(2, '2850000', now - 2000), rec(3, '5', now)],
    });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ acked: [1], duplicates: 1 });
    const second = await t.heartbeat(n.token, { records: [rec(2, '2850000', now - 2000), rec(3, '5', now)] });
    expect(second.statusCode).toBe(409);
    expect(second.json().error.code).toBe('TC_RECORD_CONFLICT');
    expect(second.json().error.message).toContain('seq 2');

    const warns = t.logs.filter((l) => l.includes('TC_RECORD_CONFLICT')).map((l) => JSON.parse(l));
    expect(warns).toHaveLength(2);
    expect(warns[0]).toMatchObject({ level: 40, nodeId: n.id, epoch: '0123456789abcdef', seq: 2 });
    expect(await metric(t, 'traffic_collector_record_conflicts_total{kind="record"}')).toEqual([
      'traffic_collector_record_conflicts_total{kind="record"} 2',
    ]);
    // Nothing of the conflicting records was counted.
    const node = (await t.admin(`/api/v1/nodes/${n.id}`)).json();
    expect(node.traffic.totalRx).toBe('300');
  });

  it('push: the same Idempotency-Key with other counts gets 409 TC_RECORD_CONFLICT and books nothing', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const push = (body: string, measuredAt = t!.clock.now) =>
      t!.app.inject({
        method: 'POST',
        url: `/api/v1/server/UniProxy/push?node_id=${n.id}&node_type=vmess`,
        headers: {
          authorization: `Bearer ${n.token}`,
          'content-type': 'application/json',
          'idempotency-key': `${n.id}:0123456789abcdef:3`,
          'x-traffic-measured-at': String(measuredAt),
        },
        payload: body,
      });
    expect((await push('{"42":[1000,2000],"43":[1,1]}')).statusCode).toBe(200);
    // Re-serialised (order, spacing, a 0/0 entry): the same push.
    expect((await push('{ "43": [1, 1], "44": [0, 0], "42": [1000, 2000] }')).statusCode).toBe(200);
    const c = await push('{"42":[1000,2001],"43":[1,1]}');
    expect(c.statusCode).toBe(409);
    expect(c.json().error.code).toBe('TC_RECORD_CONFLICT');
    expect((await push('{"42":[1000,2000],"43":[1,1]}', t.clock.now + 60_000)).statusCode).toBe(409);
    expect(await t.store.nodeUsers(n.id, 0, 2 ** 31, 10)).toEqual([
      { userId: 42, u: 1000n, d: 2000n },
      { userId: 43, u: 1n, d: 1n },
    ]);
    expect(t.logs.filter((l) => l.includes('TC_RECORD_CONFLICT') && l.includes(`"nodeId":${n.id}`))).toHaveLength(2);
    expect(await metric(t, 'traffic_collector_record_conflicts_total{kind="push"}')).toEqual([
      'traffic_collector_record_conflicts_total{kind="push"} 2',
    ]);
  });
});
