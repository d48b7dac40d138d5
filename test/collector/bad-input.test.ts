/**
 * Throws well over 1,000 generated malformed requests at the app (seeded, so a failure reproduces) and checks:
 * never a 5xx, always a 4xx with a documented code (or the panel's own error body on panel routes), and the
 * database byte-for-byte unchanged. Besides malformed bodies it covers what issue 10 found: encoded token names,
 * loose path ids, unauthenticated large bodies, a seq far above the epoch's high-water, and counts at the 2^63-1
 * edge of a node total and of a per-user row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/collector/errors.js';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { MAX_SEQ_AHEAD } from '../../src/protocol/seq-bound.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { heartbeatBody, makeTestApp, ADMIN, type TestApp } from './app-helper.js';

function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BAD_COUNTS: unknown[] = [
  '-1',
  '1.5',
  '1e3',
  '01',
  ' 1',
  '',
  '0x10',
  '18446744073709551616',
  '99999999999999999999',
  '123456789012345678901',
  -1,
  1.5,
  5,
  null,
  true,
  [],
  {},
  '١٢',
];
const BAD_VALUES: unknown[] = [null, true, false, -1, 1.5, 'x', '', [], {}, [1, 2], 1e300, -0.5, '9'.repeat(30)];

describe('bad input', () => {
  let t: TestApp;
  let node: { id: number; token: string };
  let snapshot: () => string;

  beforeAll(async () => {
    t = await makeTestApp({ bodyLimitBytes: 8192, pushBodyLimitBytes: 8192, authFailuresPerMinute: 1_000_000 });
    node = await t.addNode();
    // Some existing state the bad requests must not touch.
    const now = t.clock.now;
    await t.heartbeat(node.token, { records: [{ seq: 5, from: now - 10, to: now, rx: '100', tx: '200' }] });
    // A per-user row at the 2^63-1 edge, for the overflow cases.
    const edge = await t.app.inject({
      method: 'POST',
      url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
      payload: '{"42":[9223372036854775807,0]}',
    });
    expect(edge.statusCode, edge.body).toBe(200);
    const db = t.store.db;
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>
    ).map((r) => r.name);
    snapshot = () =>
      JSON.stringify(
        tables.map((name) => [name, db.prepare(`SELECT * FROM ${name}`).safeIntegers(true).all()]),
        (_k, v) => (typeof v === 'bigint' ? v.toString() : Buffer.isBuffer(v) ? v.toString('hex') : v),
      );
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 1,000+ malformed requests with a 4xx and stores nothing', async () => {
    const before = snapshot();
    const rnd = prng(20260315);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const valid = () =>
      heartbeatBody({
        records: [{ seq: 6, from: t.clock.now - 5, to: t.clock.now, rx: '1', tx: '1' }],
      }) as unknown as Record<string, unknown>;
    const auth = () => ({ authorization: `Bearer ${node.token}`, 'content-type': 'application/json' });

    type Req = {
      method: 'POST' | 'GET';
      url: string;
      headers: Record<string, string>;
      payload?: string;
      kind: string;
      /** The error code the answer must carry, where one request kind has exactly one. */
      code?: string;
    };
    const gens: Array<() => Req> = [
      () => {
        const s = JSON.stringify(valid());
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: s.slice(0, Math.floor(rnd() * (s.length - 1))),
          kind: 'truncated json',
        };
      },
      () => ({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: auth(),
        payload: Array.from({ length: 1 + Math.floor(rnd() * 60) }, () => String.fromCharCode(Math.floor(rnd() * 128)))
          .join('')
          .replace(/^\s*[[{"0-9tfn-]/, '!'),
        kind: 'garbage',
      }),
      () => {
        const b = valid();
        const recs = b.records as Array<Record<string, unknown>>;
        recs[0][pick(['rx', 'tx'])] = pick(BAD_COUNTS);
        return { method: 'POST', url: HEARTBEAT_PATH, headers: auth(), payload: JSON.stringify(b), kind: 'bad count' };
      },
      () => {
        const b = valid();
        const recs = b.records as Array<Record<string, unknown>>;
        const field = pick(['seq', 'from', 'to', 'events']);
        // An empty events list is valid; every other value here is not.
        recs[0][field] = pick(BAD_VALUES.filter((v) => !(field === 'events' && Array.isArray(v) && v.length === 0)));
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'bad record field',
        };
      },
      () => {
        const b = valid();
        const field = pick(['epoch', 'records', 'load', 'uptimeSec', 'agentVersion', 'sentAt']);
        const isValid = (v: unknown) =>
          (Array.isArray(v) && v.length === 0) ||
          (field === 'load' && v === null) ||
          (field === 'uptimeSec' && typeof v === 'number' && v >= 0) ||
          (field === 'agentVersion' && typeof v === 'string');
        b[field] = pick(BAD_VALUES.filter((v) => !isValid(v)));
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'bad top field',
        };
      },
      () => {
        const b = valid();
        delete b[pick(['epoch', 'records', 'load', 'uptimeSec', 'bootId', 'agentVersion', 'sentAt'])];
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'missing field',
        };
      },
      () => {
        const b = valid();
        b[`extra${Math.floor(rnd() * 9)}`] = 1;
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'unknown field',
        };
      },
      () => {
        const b = valid();
        const to = t.clock.now;
        b.records = [
          { seq: 9, from: to - 1, to, rx: '1', tx: '1' },
          { seq: pick([9, 8, 1]), from: to - 1, to, rx: '1', tx: '1' },
        ];
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'not ascending',
        };
      },
      () => {
        const b = valid();
        b.records = [{ seq: 9, from: t.clock.now, to: t.clock.now - 1 - Math.floor(rnd() * 1000), rx: '1', tx: '1' }];
        return { method: 'POST', url: HEARTBEAT_PATH, headers: auth(), payload: JSON.stringify(b), kind: 'from > to' };
      },
      () => {
        const b = valid();
        b.records = Array.from({ length: 501 }, (_, i) => ({ seq: 100 + i, from: 1, to: 2, rx: '1', tx: '1' }));
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'too many records',
        };
      },
      () => ({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: auth(),
        payload: JSON.stringify({ ...valid(), agentVersion: 'x'.repeat(9000) }),
        kind: 'oversized',
      }),
      () => ({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: {
          ...auth(),
          authorization: pick([
            'Bearer wrong',
            `Bearer ${node.token.slice(0, -1)}`,
            '',
            `bearer  ${node.token}z`,
            'Token abc',
          ]),
        },
        payload: JSON.stringify(valid()),
        kind: 'wrong token',
      }),
      () => ({
        method: 'POST',
        url: HEARTBEAT_PATH,
        headers: {
          ...auth(),
          'content-type': pick(['text/plain', 'application/x-www-form-urlencoded', 'application/xml']),
        },
        payload: JSON.stringify(valid()),
        kind: 'content type',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${pick([node.id, 999, 'abc', -1])}&token=${pick(['bad', '', 'x'.repeat(40)])}`,
        headers: {},
        payload: '{"1":[1,2]}',
        kind: 'panel bad token',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
        headers: {},
        payload: pick(['[1,2]', '"x"', '12', 'null', '{"1":', 'not json', '']),
        kind: 'panel not an object',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
        headers: {
          'idempotency-key': pick([
            'x',
            `${node.id + 1}:0123456789abcdef:1`,
            `${node.id}:XYZ:1`,
            `${node.id}:0123456789abcdef:`,
          ]),
        },
        payload: '{"1":[1,2]}',
        kind: 'panel bad key',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
        headers: {},
        payload: `{"1":[1,2],"pad":"${'p'.repeat(9000)}"}`,
        kind: 'panel oversized',
      }),
      () => ({
        method: 'GET',
        url: pick([
          '/api/v1/nodes/abc',
          '/api/v1/nodes/0',
          '/api/v1/nodes/99999999999',
          '/api/v1/rankings/nodes?window=x',
          '/api/v1/rankings/nodes?limit=-3',
          '/api/v1/nodes/1/series?from=zz',
          '/api/v1/users/x/traffic',
          '/api/v1/rankings/users?to=0',
          '/api/v1/nodes?x=1',
          '/nope',
        ]),
        headers: { authorization: `Bearer ${ADMIN}` },
        kind: 'bad query',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?${pick(['tok%65n', '%74oken', 'TOKEN', 'node_id=1;token'])}=${pick(['bad', node.token.slice(1)])}&node_id=${node.id}`,
        headers: {},
        payload: '{"1":[1,2]}',
        kind: 'encoded token name',
      }),
      () => ({
        method: pick(['GET', 'POST'] as const),
        url: `/api/v1/nodes/${pick(['0x1', '%201', '1e0', '+1', '01', '1.0', '%2B1'])}${pick(['', '/period/reset', '/series', '/users'])}`,
        headers: { authorization: `Bearer ${ADMIN}` },
        kind: 'loose id',
      }),
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}${pick(['&token=wrong', ''])}`,
        headers: {},
        payload: `{"1":[1,2],"pad":"${'p'.repeat(70_000)}"}`,
        kind: 'unauthenticated large body',
      }),
      () => ({
        method: 'POST',
        url: '/api/v1/nodes/1/period/reset',
        headers: { authorization: `Bearer ${ADMIN}x` },
        kind: 'admin wrong token',
      }),
      () => {
        // The epoch holds seq 5: a token holder's jump far ahead (422), or past what the wire allows (400).
        const b = valid();
        (b.records as Array<Record<string, unknown>>)[0].seq = pick([
          Number.MAX_SAFE_INTEGER,
          5 + MAX_SEQ_AHEAD + 1,
          4_000_000_000,
          2 ** 53,
        ]);
        return { method: 'POST', url: HEARTBEAT_PATH, headers: auth(), payload: JSON.stringify(b), kind: 'huge seq' };
      },
      () => {
        const b = valid();
        // The node total is 100/200: any of these would pass 2^63-1 (or is no 64-bit count at all).
        (b.records as Array<Record<string, unknown>>)[0][pick(['rx', 'tx'])] = pick([
          '9223372036854775807',
          '9223372036854775808',
          '18446744073709551615',
          '18446744073709551616',
        ]);
        return {
          method: 'POST',
          url: HEARTBEAT_PATH,
          headers: auth(),
          payload: JSON.stringify(b),
          kind: 'overflow edge (node total)',
        };
      },
      () => ({
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
        headers: pick([{}, { 'idempotency-key': `${node.id}:0123456789abcdef:${1 + Math.floor(rnd() * 1e6)}` }]),
        // User 42 holds 2^63-1 already; 43 is new but its count is over the ceiling.
        payload: pick([
          '{"42":[1,0]}',
          '{"42":[0,0],"43":[1,1],"42 ":[1,0],"042":[1,0]}',
          '{"43":[9223372036854775808,0]}',
          '{"43":[9223372036854775807,1],"43":[18446744073709551615,0]}',
          '{"44":[5,5],"042":[0,1],"42":[1,1]}',
        ]),
        kind: 'overflow edge (per user)',
      }),
      () => ({
        // The epoch's heartbeat records reach seq 5: a push keyed further ahead than an agent can send is refused.
        method: 'POST',
        url: `${UNIPROXY_PUSH_PATH}?node_id=${node.id}&token=${node.token}`,
        headers: {
          'idempotency-key': `${node.id}:0123456789abcdef:${pick([5 + MAX_SEQ_AHEAD + 1, 4_000_000_000, Number.MAX_SAFE_INTEGER])}`,
        },
        payload: '{"44":[1,1]}',
        kind: 'huge push seq',
        code: 'TC_SEQ_TOO_FAR_AHEAD',
      }),
    ];

    const kinds = new Map<string, number>();
    let n = 0;
    for (let i = 0; i < 1300; i++) {
      const req = gens[i % gens.length]();
      const res = await t.app.inject({ method: req.method, url: req.url, headers: req.headers, payload: req.payload });
      n++;
      kinds.set(req.kind, (kinds.get(req.kind) ?? 0) + 1);
      const ctx = `${req.kind}: ${req.method} ${req.url} ${String(req.payload).slice(0, 200)} -> ${res.statusCode} ${res.body.slice(0, 200)}`;
      expect(res.statusCode, ctx).toBeGreaterThanOrEqual(400);
      expect(res.statusCode, ctx).toBeLessThan(500);
      const body = res.json();
      // Panel routes answer in the panel's shape, except TC_USER_COUNTER_OVERFLOW (ERRORS.md).
      if (req.url.startsWith('/api/v1/server/') && body.error === undefined)
        expect(typeof body.message, ctx).toBe('string');
      else expect(Object.keys(ERRORS), ctx).toContain(body.error.code);
      if (req.code) expect(body.error?.code, ctx).toBe(req.code);
    }
    expect(n).toBeGreaterThanOrEqual(1000);
    expect(kinds.size).toBe(gens.length);
    expect(snapshot()).toBe(before);
  });

  it('an enum error lists the allowed values', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/rankings/nodes?window=week',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'TC_VALIDATION',
      message: expect.stringContaining('querystring/window must be one of period, total, 24h (got "week")'),
    });
  });
});
