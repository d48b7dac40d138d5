/**
 * Two collector processes on one PostgreSQL database: the same heartbeat records and the same idempotent pushes sent
 * to both at once, many times over, are each counted exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { createTestDatabase, PG_SKIP_REASON, warnIfNoPg, type TestDatabase } from '../support/pg.js';

warnIfNoPg('the two-collector concurrency test');

describe.skipIf(Boolean(PG_SKIP_REASON))(
  `two collector processes on one PostgreSQL${PG_SKIP_REASON ? ` (skipped: ${PG_SKIP_REASON})` : ''}`,
  () => {
    let db: TestDatabase;
    let c1: CollectorProcess;
    let c2: CollectorProcess;
    const dispatcher = new Agent({ connections: 16 });

    beforeAll(async () => {
      db = await createTestDatabase('tc_two');
      [c1, c2] = await Promise.all([startCollector({ db: db.url }), startCollector({ db: db.url })]); // migrations race too
    });
    afterAll(async () => {
      await Promise.all([c1?.stop(), c2?.stop()]);
      await dispatcher.close();
      await db?.drop();
    });

    it('counts each heartbeat record once when both receive it at the same moment', async () => {
      const node = await c1.addNode({ name: 'shared' });
      const now = Date.now();
      let expected = 0n;
      const post = async (c: CollectorProcess, body: string) => {
        const res = await request(`${c.url}${HEARTBEAT_PATH}`, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
          body,
        });
        expect(res.statusCode).toBe(200);
        return (await res.body.json()) as { acked: number[]; duplicates: number };
      };
      let duplicates = 0;
      for (let round = 0; round < 60; round++) {
        const records = [1, 2, 3].map((k) => {
          const rx = 1_000_000n * BigInt(round) + BigInt(k);
          expected += rx;
          return { seq: round * 3 + k, from: now - 10, to: now, rx: rx.toString(), tx: '1' };
        });
        const body = JSON.stringify({
          epoch: 'cccccccccccccccc',
          records,
          load: [0, 0, 0],
          uptimeSec: 1,
          bootId: null,
          agentVersion: 't',
          sentAt: now,
        });
        const answers = await Promise.all([post(c1, body), post(c2, body), post(c1, body), post(c2, body)]);
        for (const a of answers) expect(a.acked).toEqual(records.map((r) => r.seq));
        const d = answers.reduce((s, a) => s + a.duplicates, 0);
        expect(d).toBe(9); // 4 sends x 3 records, stored once
        duplicates += d;
      }
      for (const c of [c1, c2]) {
        const res = await request(`${c.url}/api/v1/nodes/${node.id}`, {
          dispatcher,
          headers: { authorization: `Bearer ${c.adminToken}` },
        });
        const n = (await res.body.json()) as { traffic: { totalRx: string; totalTx: string } };
        expect(n.traffic.totalRx).toBe(expected.toString());
        expect(n.traffic.totalTx).toBe('180');
      }
      const metrics =
        (await (await request(`${c1.url}/metrics`, { dispatcher })).body.text()) +
        (await (await request(`${c2.url}/metrics`, { dispatcher })).body.text());
      const sum = (name: string) =>
        [...metrics.matchAll(new RegExp(`^${name} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
      expect(sum('traffic_collector_ingest_records_total')).toBe(180);
      expect(sum('traffic_collector_duplicate_records_total')).toBe(duplicates);
    });

    it('refuses a token at once after another process rotated it, though this collector had just served it', async () => {
      const node = await c1.addNode({ name: 'rotated' });
      const now = Date.now();
      const beat = async (token: string, seq: number) => {
        const res = await request(`${c1.url}${HEARTBEAT_PATH}`, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            epoch: 'eeeeeeeeeeeeeeee',
            records: [{ seq, from: now - 10, to: now, rx: '5', tx: '1' }],
            load: [0, 0, 0],
            uptimeSec: 1,
            bootId: null,
            agentVersion: 't',
            sentAt: now + seq,
          }),
        });
        return {
          status: res.statusCode,
          body: (await res.body.json()) as { error?: { code: string }; acked?: number[] },
        };
      };
      expect(await beat(node.token, 1)).toMatchObject({ status: 200, body: { acked: [1] } });
      // The CLI is another process on the same database: c1 hears nothing of the rotation.
      const rotated = JSON.parse(await c2.cli(['node', 'rotate-token', String(node.id)])) as { token: string };
      expect(await beat(node.token, 2)).toMatchObject({ status: 401, body: { error: { code: 'TC_UNAUTHORIZED' } } });
      expect(await beat(node.token, 2)).toMatchObject({ status: 401, body: { error: { code: 'TC_UNAUTHORIZED' } } });
      expect(await beat(rotated.token, 2)).toMatchObject({ status: 200, body: { acked: [2] } });
      const res = await request(`${c2.url}/api/v1/nodes/${node.id}`, {
        dispatcher,
        headers: { authorization: `Bearer ${c2.adminToken}` },
      });
      expect(((await res.body.json()) as { traffic: { totalRx: string } }).traffic.totalRx).toBe('10');
    });

    it('applies an idempotent push once when both receive it at the same moment', async () => {
      const node = await c2.addNode({ name: 'users', rate: '1' });
      for (let seq = 1; seq <= 30; seq++) {
        const send = (c: CollectorProcess) =>
          request(`${c.url}${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`, {
            method: 'POST',
            dispatcher,
            headers: { 'content-type': 'application/json', 'idempotency-key': `${node.id}:dddddddddddddddd:${seq}` },
            body: JSON.stringify({ 1: [10, 100], 2: [seq, 0] }),
          }).then(async (r) => {
            expect(r.statusCode).toBe(200);
            return r.body.json();
          });
        const answers = await Promise.all([send(c1), send(c2), send(c1), send(c2)]);
        for (const a of answers) expect(a).toMatchObject({ data: true });
      }
      const res = await request(`${c1.url}/api/v1/nodes/${node.id}/users?limit=10`, {
        dispatcher,
        headers: { authorization: `Bearer ${c1.adminToken}` },
      });
      expect(((await res.body.json()) as { users: unknown[] }).users).toEqual(
        [
          { userId: 2, u: '465', d: '0', total: '465' },
          { userId: 1, u: '300', d: '3000', total: '3300' },
        ].sort((a, b) => Number(b.total) - Number(a.total)),
      );
    });
  },
);
