/**
 * Billing reports through the real collector binary, on SQLite and on PostgreSQL: per node, per user and per user
 * per node, as JSON, CSV (RFC 4180) and from the CLI. The report's numbers equal what the rankings and
 * /api/v1/users/:id/traffic answer for the same days; rows of a removed node are kept and named so; a range that
 * cuts a day is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { PG_SKIP_REASON, createTestDatabase, type TestDatabase } from '../support/pg.js';

const DAY = 86_400_000;
// Two whole UTC days in the past (pushes may be booked on past days, never more than 10 minutes ahead).
const D1 = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const D2 = D1 + DAY;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Json {
  [k: string]: unknown;
}

async function get(c: CollectorProcess, path: string, headers: Record<string, string> = {}) {
  const res = await request(`${c.url}${path}`, { headers: { authorization: `Bearer ${c.adminToken}`, ...headers } });
  // Buffer#toString keeps a byte-order mark (body.text() would drop it).
  return {
    status: res.statusCode,
    headers: res.headers,
    text: Buffer.from(await res.body.arrayBuffer()).toString('utf8'),
  };
}

async function push(c: CollectorProcess, node: { id: number; token: string }, at: number, users: Json) {
  const res = await request(`${c.url}${UNIPROXY_PUSH_PATH}?node_id=${node.id}&node_type=vmess&token=${node.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-traffic-measured-at': String(at) },
    body: JSON.stringify(users),
  });
  expect(res.statusCode, await res.body.text()).toBe(200);
}

async function heartbeat(c: CollectorProcess, token: string, seq: number, to: number, rx: bigint, tx: bigint) {
  const res = await request(`${c.url}${HEARTBEAT_PATH}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      epoch: 'bbbbbbbbbbbbbbbb',
      records: [{ seq, from: to - 1000, to, rx: rx.toString(), tx: tx.toString() }],
      load: [0, 0, 0],
      uptimeSec: 1,
      bootId: 'b',
      agentVersion: 't',
      sentAt: Date.now(),
    }),
  });
  expect(res.statusCode, await res.body.text()).toBe(200);
}

function reportSuite(engine: string, db: () => Promise<string | undefined>, skip?: string) {
  describe.skipIf(Boolean(skip))(`billing reports on ${engine}`, () => {
    let c: CollectorProcess;
    let a: { id: number; token: string };
    let b: { id: number; token: string };

    it('answers per node, per user and per user per node, equal to the rankings and the user API', {
      timeout: 120_000,
    }, async () => {
      c = await startCollector({ db: await db() });
      a = await c.addNode({ name: 'edge "A", Frankfurt' });
      b = await c.addNode({ name: 'edge-b', rate: '2' });
      await push(c, a, D1 + 3_600_000, { 7: [100, 200], 8: [1, 2] });
      await push(c, a, D2 + 3_600_000, { 7: [10, 20] });
      await push(c, b, D2 + 7_200_000, { 7: [1000, 3000], 9: [5, 5] }); // rate 2: booked x2
      await push(c, a, D2 + DAY + 60_000, { 7: [99_999, 99_999] }); // the day after the report: left out
      await heartbeat(c, a.token, 1, Date.now() - 10_000, 123_456_789n, 987_654_321n);

      const range = `from=${ymd(D1)}&to=${ymd(D2)}`;
      const users = JSON.parse((await get(c, `/api/v1/reports?by=user&${range}`)).text) as {
        rows: { userId: number; upload: string; download: string; total: string }[];
        totals: Json;
        rowCount: number;
      };
      expect(users.rows).toEqual([
        { userId: 7, upload: '2110', download: '6220', total: '8330' },
        { userId: 8, upload: '1', download: '2', total: '3' },
        { userId: 9, upload: '10', download: '10', total: '20' },
      ]);
      expect(users.totals).toEqual({ upload: '2121', download: '6232', total: '8353' });
      // The same days through the rankings and the per-user API.
      const q = `from=${D1}&to=${D2 + DAY}`;
      const ranking = JSON.parse((await get(c, `/api/v1/rankings/users?${q}&limit=10`)).text) as {
        users: { userId: number; total: string }[];
      };
      const byId = (x: { userId: number; total: string }[]) =>
        x.map((u) => [u.userId, u.total]).sort((p, q) => Number(p[0]) - Number(q[0]));
      expect(byId(ranking.users)).toEqual(byId(users.rows));
      const u7 = JSON.parse((await get(c, `/api/v1/users/7/traffic?${q}`)).text) as { total: Json };
      expect(u7.total).toEqual({ u: '2110', d: '6220', total: '8330' });

      const perNode = JSON.parse((await get(c, `/api/v1/reports?by=user-node&${range}`)).text) as { rows: Json[] };
      expect(perNode.rows).toEqual([
        { userId: 7, nodeId: a.id, nodeName: 'edge "A", Frankfurt', upload: '110', download: '220', total: '330' },
        { userId: 7, nodeId: b.id, nodeName: 'edge-b', upload: '2000', download: '6000', total: '8000' },
        { userId: 8, nodeId: a.id, nodeName: 'edge "A", Frankfurt', upload: '1', download: '2', total: '3' },
        { userId: 9, nodeId: b.id, nodeName: 'edge-b', upload: '10', download: '10', total: '20' },
      ]);

      // rate=raw: the bytes as measured (edge-b's rate 2 undone exactly: both are stored since schema v7).
      const raw = JSON.parse((await get(c, `/api/v1/reports?by=user-node&${range}&rate=raw`)).text) as {
        rate: string;
        rows: Json[];
      };
      expect(raw.rate).toBe('raw');
      expect(raw.rows.map((r) => [r.userId, r.nodeId, r.upload, r.download])).toEqual([
        [7, a.id, '110', '220'],
        [7, b.id, '1000', '3000'],
        [8, a.id, '1', '2'],
        [9, b.id, '5', '5'],
      ]);

      // user=: one user's rows only, filtered by the collector (the user view's Export downloads just these).
      const one = await get(c, `/api/v1/reports?by=user-node&${range}&user=7&format=csv`);
      expect(one.headers['content-disposition']).toContain(`traffic-user-node-user7-${ymd(D1)}_${ymd(D2)}.csv`);
      expect(one.text.split('\r\n')).toEqual([
        '\ufeffuser_id,node_id,node_name,upload,download,total',
        `7,${a.id},"edge ""A"", Frankfurt",110,220,330`,
        `7,${b.id},edge-b,2000,6000,8000`,
        '',
      ]);
      const rawOne = JSON.parse((await get(c, `/api/v1/reports?by=user&${range}&user=9&rate=raw`)).text) as Json;
      expect(rawOne.rows).toEqual([{ userId: 9, upload: '5', download: '5', total: '10' }]);
      expect(JSON.parse((await get(c, `/api/v1/reports?by=user&${range}&user=12345`)).text).rows).toEqual([]);
      const nodeByUser = await get(c, `/api/v1/reports?by=node&${range}&user=7`);
      expect(nodeByUser.status).toBe(400);
      expect(nodeByUser.text).toContain('TC_BAD_REPORT');

      const today = ymd(Date.now());
      const nodes = JSON.parse((await get(c, `/api/v1/reports?by=node&from=${ymd(D1)}&to=${today}`)).text) as {
        rows: Json[];
      };
      expect(nodes.rows[0]).toMatchObject({ nodeId: a.id, rx: '123456789', tx: '987654321', total: '1111111110' });
      expect(nodes.rows[1]).toMatchObject({ nodeId: b.id, rx: '0', tx: '0' });
      expect((nodes.rows[0].billingPeriods as string[]).length).toBeGreaterThanOrEqual(1);
    });

    it('streams CSV with a header row, RFC 4180 quoting and UTF-8, and the CLI writes the same file', async () => {
      const range = `from=${ymd(D1)}&to=${ymd(D2)}`;
      const csv = await get(c, `/api/v1/reports?by=user-node&${range}`, { accept: 'text/csv' });
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(csv.headers['content-disposition']).toBe(
        `attachment; filename="traffic-user-node-${ymd(D1)}_${ymd(D2)}.csv"`,
      );
      expect(csv.text.split('\r\n')).toEqual([
        '\ufeffuser_id,node_id,node_name,upload,download,total',
        `7,${a.id},"edge ""A"", Frankfurt",110,220,330`,
        `7,${b.id},edge-b,2000,6000,8000`,
        `8,${a.id},"edge ""A"", Frankfurt",1,2,3`,
        `9,${b.id},edge-b,10,10,20`,
        '',
      ]);
      const out = join(c.dir, 'report.csv');
      await c.cli(['report', '--by', 'user-node', '--from', ymd(D1), '--to', ymd(D2), '--format', 'csv', '--out', out]);
      expect(readFileSync(out, 'utf8')).toBe(csv.text);
      const table = await c.cli(['report', '--by', 'user', '--from', ymd(D1), '--to', ymd(D2)]);
      expect(table).toMatch(/TOTAL\s+2121\s+6232\s+8353/);
      const raw = await c.cli(['report', '--by', 'user', '--from', ymd(D1), '--to', ymd(D2), '--rate', 'raw']);
      expect(raw).toMatch(/TOTAL\s+1116\s+3227\s+4343/);
      const u8 = await c.cli(['report', '--by', 'user-node', '--from', ymd(D1), '--to', ymd(D2), '--user', '8']);
      expect(u8).toMatch(/TOTAL\s+1\s+2\s+3/);
      await expect(
        c.cli(['report', '--by', 'user', '--from', ymd(D1), '--to', ymd(D2), '--user', 'x']),
      ).rejects.toThrow(/user=NaN/);
    });

    it('keeps the rows of a removed node, named as such (rows with no node at all: store contract)', async () => {
      const lone = await c.addNode({ name: 'lone' });
      await push(c, lone, D1 + 60_000, { 11: [40, 60] });
      await c.cli(['node', 'remove', String(lone.id)]);
      const rows = JSON.parse((await get(c, `/api/v1/reports?by=user-node&from=${ymd(D1)}&to=${ymd(D1)}`)).text)
        .rows as Json[];
      expect(rows.find((r) => r.userId === 11)).toEqual({
        userId: 11,
        nodeId: lone.id,
        nodeName: `(removed node ${lone.id})`,
        upload: '40',
        download: '60',
        total: '100',
      });
    });

    it('refuses what it cannot answer exactly, with the reason', async () => {
      const refused = async (q: string) => {
        const r = await get(c, `/api/v1/reports?${q}`);
        expect(r.status, q).toBe(400);
        return JSON.parse(r.text) as { error: { code: string; message: string } };
      };
      expect((await refused('by=user&from=2026-03-01T12:00:00Z&to=2026-03-02')).error).toMatchObject({
        code: 'TC_BAD_REPORT',
        message: expect.stringContaining('whole days as YYYY-MM-DD'),
      });
      expect((await refused('by=user&period=2026-03&from=2026-03-01')).error.code).toBe('TC_BAD_REPORT');
      expect((await refused('by=user&period=2026-13')).error.code).toBe('TC_BAD_REPORT');
      expect((await refused('by=node&period=2026-03&timezone=Asia/Kolkata')).error.message).toContain(
        'whole UTC hours',
      );
      expect((await refused('by=week&period=2026-03')).error.code).toBe('TC_VALIDATION');
      const anon = await request(`${c.url}/api/v1/reports?by=user&period=2026-03`);
      expect(anon.statusCode).toBe(401);
      await anon.body.dump();
      await c.stop();
    });
  });
}

let pg: TestDatabase | undefined;
afterAll(async () => {
  await pg?.drop();
});
reportSuite('SQLite', async () => undefined);
reportSuite(
  'PostgreSQL',
  async () => {
    pg = await createTestDatabase('reports');
    return pg.url;
  },
  PG_SKIP_REASON,
);
