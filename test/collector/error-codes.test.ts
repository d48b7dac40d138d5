/**
 * Every code documented in src/collector/ERRORS.md is produced by the request that should produce it, against the
 * real collector binary (SQLite file, 127.0.0.1): one row per code below, each asserting the documented status and
 * the code in the body. A documented code without a row fails this test, so the table cannot fall behind the docs.
 *
 * Rows share one collector unless they name a config of their own (back-pressure, the failed-auth limit) or change
 * the database under it (locked by another process, a table dropped by hand): those get a collector each.
 */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/collector/errors.js';
import { HEARTBEAT_PATH, type HeartbeatRequest } from '../../src/protocol/heartbeat.js';
import { MAX_SEQ_AHEAD } from '../../src/protocol/seq-bound.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { type CollectorProcess, startCollector } from '../support/collector-process.js';
import { heartbeatBody } from './app-helper.js';

const doc = readFileSync(new URL('../../src/collector/ERRORS.md', import.meta.url), 'utf8');
const documented = [...doc.matchAll(/^\| `(TC_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => ({
  code: m[1],
  status: Number(m[2]),
}));

interface Ctx {
  c: CollectorProcess;
  node: { id: number; token: string };
  /** A fresh epoch per call, so rows never see each other's records. */
  epoch(): string;
}

interface Row {
  /** Config of a collector of the row's own (started for it alone, stopped after). */
  own?: Record<string, unknown>;
  request(x: Ctx): Promise<Response>;
}

let epochs = 0;
const newEpoch = () => (0x1000 + ++epochs).toString(16).padStart(16, '0');

const heartbeat = (over: Partial<HeartbeatRequest>) => heartbeatBody({ epoch: newEpoch(), ...over });

const record = (seq: number, rx: string, tx = '0') => ({ seq, from: Date.now() - 1000, to: Date.now(), rx, tx });

function send(x: Ctx, body: unknown, opts: { token?: string; type?: string; raw?: string } = {}): Promise<Response> {
  return fetch(`${x.c.url}${HEARTBEAT_PATH}`, {
    method: 'POST',
    headers: {
      ...(opts.token === '' ? {} : { authorization: `Bearer ${opts.token ?? x.node.token}` }),
      'content-type': opts.type ?? 'application/json',
    },
    body: opts.raw ?? JSON.stringify(body),
  });
}

const admin = (x: Ctx, path: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${x.c.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${x.c.adminToken}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

const push = (x: Ctx, users: string, key: string) =>
  fetch(`${x.c.url}${UNIPROXY_PUSH_PATH}?node_id=${x.node.id}&token=${x.node.token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': `${x.node.id}:${key}` },
    body: users,
  });

/** Sends `first` and expects it stored, then answers what `second` gets. */
async function after(first: Promise<Response>, second: () => Promise<Response>): Promise<Response> {
  const r = await first;
  expect(r.ok, await r.clone().text()).toBe(true);
  return second();
}

const ROWS: Record<string, Row> = {
  TC_BAD_JSON: { request: (x) => send(x, undefined, { raw: '{"epoch":' }) },
  TC_BAD_CONTENT_TYPE: { request: (x) => send(x, heartbeat({}), { type: 'text/plain' }) },
  TC_VALIDATION: { request: (x) => send(x, { ...heartbeat({}), uptimeSec: -1 }) },
  TC_BAD_COUNT: { request: (x) => send(x, heartbeat({ records: [record(1, '18446744073709551616')] })) },
  TC_RECORDS_ORDER: { request: (x) => send(x, heartbeat({ records: [record(2, '1'), record(1, '1')] })) },
  TC_TOO_MANY_RECORDS: {
    request: (x) => send(x, heartbeat({ records: Array.from({ length: 501 }, (_, i) => record(i + 1, '1')) })),
  },
  TC_BODY_TOO_LARGE: {
    request: (x) => send(x, { ...heartbeat({}), bootId: 'b'.repeat(1_100_000) }),
  },
  TC_UNAUTHORIZED: { request: (x) => send(x, heartbeat({}), { token: 'not-a-token' }) },
  TC_RATE_LIMITED: {
    own: { authFailuresPerMinute: 3 },
    async request(x) {
      for (let i = 0; i < 3; i++) expect((await send(x, heartbeat({}), { token: `bad-${i}` })).status).toBe(401);
      return send(x, heartbeat({}), { token: 'bad-3' });
    },
  },
  TC_NODE_NOT_FOUND: { request: (x) => admin(x, '/api/v1/nodes/999999') },
  TC_NOT_FOUND: { request: (x) => admin(x, '/api/v1/no-such-route') },
  TC_METHOD_NOT_ALLOWED: {
    async request(x) {
      const res = await fetch(`${x.c.url}/healthz`, { method: 'DELETE' });
      expect(res.headers.get('allow')).toMatch(/\bGET\b/);
      return res;
    },
  },
  TC_COUNTER_OVERFLOW: { request: (x) => send(x, heartbeat({ records: [record(1, '9223372036854775808')] })) },
  TC_USER_COUNTER_OVERFLOW: {
    request: (x) =>
      after(push(x, '{"7":[9223372036854775807,0]}', '00000000000000f1:1'), () =>
        push(x, '{"7":[1,0]}', '00000000000000f1:2'),
      ),
  },
  TC_SEQ_TOO_FAR_AHEAD: {
    request(x) {
      const epoch = x.epoch();
      return after(send(x, heartbeat({ epoch, records: [record(1, '1')] })), () =>
        send(x, heartbeat({ epoch, records: [record(1 + MAX_SEQ_AHEAD + 1, '1')] })),
      );
    },
  },
  TC_RECORD_CONFLICT: {
    request(x) {
      const epoch = x.epoch();
      const r = record(1, '100');
      return after(send(x, heartbeat({ epoch, records: [r] })), () =>
        send(x, heartbeat({ epoch, records: [{ ...r, rx: '101' }] })),
      );
    },
  },
  TC_BAD_RANGE: { request: (x) => admin(x, '/api/v1/rankings/users?from=yesterday') },
  TC_BAD_REPORT: { request: (x) => admin(x, '/api/v1/reports?by=node&period=2026-13') },
  TC_DB_UNAVAILABLE: {
    own: {},
    async request(x) {
      // Another process (an operator's sqlite3 shell, a backup tool) holds the write lock past busy_timeout.
      const other = new Database(x.c.db);
      other.exec('BEGIN IMMEDIATE');
      try {
        return await send(x, heartbeat({ records: [record(1, '5')] }));
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
    },
  },
  TC_OVERLOADED: {
    own: { maxHeapUsedBytes: 1 },
    async request(x) {
      // under-pressure samples the heap once a second: ask until a sample has been taken.
      let res = await fetch(`${x.c.url}/healthz`);
      for (let i = 0; i < 50 && res.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await fetch(`${x.c.url}/healthz`);
      }
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      return res;
    },
  },
  TC_STREAMS_FULL: {
    own: { liveMaxStreams: 1 },
    async request(x) {
      const first = new AbortController();
      const open = await fetch(`${x.c.url}/api/v1/live`, {
        headers: { authorization: `Bearer ${x.c.adminToken}` },
        signal: first.signal,
      });
      expect(open.status).toBe(200);
      try {
        const res = await admin(x, '/api/v1/live');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        return res;
      } finally {
        first.abort();
      }
    },
  },
  TC_POOL_NOT_FOUND: { request: (x) => admin(x, '/api/v1/pools/999999', { method: 'DELETE' }) },
  TC_POOL_EXISTS: {
    request: (x) =>
      after(admin(x, '/api/v1/pools', { method: 'POST', body: { name: 'twice' } }), () =>
        admin(x, '/api/v1/pools', { method: 'POST', body: { name: 'twice' } }),
      ),
  },
  TC_QUOTA_NOT_FOUND: { request: (x) => admin(x, '/api/v1/quotas/999999', { method: 'DELETE' }) },
  TC_BAD_QUOTA: {
    request: (x) =>
      admin(x, '/api/v1/quotas', { method: 'POST', body: { nodeId: x.node.id, poolId: 1, limit: '1TB' } }),
  },
  TC_INTERNAL: {
    own: {},
    request(x) {
      // A database changed by hand under the collector (not anything in a request): its tables are gone.
      const other = new Database(x.c.db);
      other.exec('DROP TABLE traffic_records');
      other.close();
      return send(x, heartbeat({ records: [record(1, '5')] }));
    },
  },
};

const started: CollectorProcess[] = [];
let shared: Promise<Ctx> | undefined;

async function ctxFor(config: Record<string, unknown> = {}): Promise<Ctx> {
  const c = await startCollector({ config, waitFor: 'answering' });
  started.push(c);
  return { c, node: await c.addNode({ name: 'errors' }), epoch: newEpoch };
}

afterAll(async () => {
  await Promise.all(started.map((c) => c.stop()));
});

describe('every documented error code, from the request that produces it', () => {
  it('ERRORS.md documents every code of errors.ts, and the table here has a row for each', () => {
    expect(documented.map((d) => d.code).sort()).toEqual(Object.keys(ERRORS).sort());
    const missing = documented.filter((d) => !(d.code in ROWS)).map((d) => d.code);
    expect(missing, 'documented codes without a row in test/collector/error-codes.test.ts').toEqual([]);
    expect(Object.keys(ROWS).filter((code) => !documented.some((d) => d.code === code))).toEqual([]);
  });

  it.each(documented)('$code: $status', async ({ code, status }) => {
    const row = ROWS[code];
    expect(row, `no row for ${code}`).toBeDefined();
    shared ??= ctxFor({ authFailuresPerMinute: 1000 });
    const x = row.own ? await ctxFor(row.own) : await shared;
    const res = await row.request(x);
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(ERRORS[code as ErrorCode].status).toBe(status);
    expect(JSON.parse(text).error.code, text).toBe(code);
  });
});
