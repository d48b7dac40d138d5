/**
 * Issue 10 item 3 through the real HTTP routes, on both engines: per-user rows at the 2^63-1 ceiling. A push that
 * would carry a row past it is refused with 422 and applies nothing; sums of several rows past it (two nodes, two
 * days) read back exactly from /api/v1/users/:id/traffic, /api/v1/nodes/:id/users and /api/v1/rankings/users.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/collector/app.js';
import { validateConfig } from '../../src/collector/config.js';
import { PostgresStore } from '../../src/collector/store/postgres/postgres-store.js';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/collector/store/store.js';
import { generateToken, hashToken } from '../../src/collector/tokens.js';
import { PG_SKIP_REASON, createTestDatabase } from '../support/pg.js';

const ADMIN = 'admin-token-overflow-0123456789';
const MAX = (1n << 63n) - 1n;
const NOW = Date.UTC(2026, 2, 15, 12);
const DAY = 86_400_000;

async function driveToTheEdge(store: Store, db: string): Promise<void> {
  const app: FastifyInstance = await buildApp({
    store,
    config: validateConfig({ db, maxEventLoopDelayMs: 0 }), // back-pressure off: see app-helper.ts
    logger: false,
    adminToken: ADMIN,
    now: () => NOW,
  });
  try {
    const nodes: Array<{ id: number; token: string }> = [];
    for (const name of ['edge-a', 'edge-b']) {
      const token = generateToken();
      const n = await store.addNode({
        name,
        tokenHash: hashToken(token),
        rate: '1',
        resetDay: 1,
        timezone: 'UTC',
        createdAt: NOW,
      });
      nodes.push({ id: n.id, token });
    }
    const push = (node: { id: number; token: string }, body: string, measuredAt: number) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/server/UniProxy/push?node_id=${node.id}&node_type=vmess`,
        headers: {
          authorization: `Bearer ${node.token}`,
          'content-type': 'application/json',
          'x-traffic-measured-at': String(measuredAt),
        },
        payload: body,
      });
    const admin = (url: string) =>
      app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => {
        expect(r.statusCode).toBe(200);
        return r.json();
      });

    // User 9 at the ceiling on both nodes and two days; user 10 one byte under it on one row.
    for (const n of nodes)
      for (const at of [NOW - DAY, NOW]) expect((await push(n, `{"9":[${MAX},${MAX}]}`, at)).statusCode).toBe(200);
    expect((await push(nodes[0], `{"10":[${MAX - 1n},0]}`, NOW)).statusCode).toBe(200);

    // One more byte on a full row is refused whole: user 10's byte is not booked either.
    const refused = await push(nodes[0], `{"10":[1,0],"9":[0,1]}`, NOW);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('TC_USER_COUNTER_OVERFLOW');

    const range = `from=${NOW - 2 * DAY}&to=${NOW + DAY}`;
    const user9 = await admin(`/api/v1/users/9/traffic?${range}`);
    expect(user9.total).toEqual({ u: String(4n * MAX), d: String(4n * MAX), total: String(8n * MAX) });
    expect(user9.nodes.map((x: { u: string }) => x.u)).toEqual([String(2n * MAX), String(2n * MAX)]);

    const onA = await admin(`/api/v1/nodes/${nodes[0].id}/users?${range}`);
    expect(onA.users).toEqual([
      { userId: 9, u: String(2n * MAX), d: String(2n * MAX), total: String(4n * MAX) },
      { userId: 10, u: String(MAX - 1n), d: '0', total: String(MAX - 1n) },
    ]);

    const rank = await admin(`/api/v1/rankings/users?${range}&limit=2`);
    expect(rank.users).toEqual([
      { userId: 9, u: String(4n * MAX), d: String(4n * MAX), total: String(8n * MAX) },
      { userId: 10, u: String(MAX - 1n), d: '0', total: String(MAX - 1n) },
    ]);
  } finally {
    await app.close();
  }
}

describe('per-user counts at the 2^63-1 edge, through the HTTP routes', () => {
  it('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-ovf-'));
    const store = await SqliteStore.open(join(dir, 'c.db'));
    try {
      await driveToTheEdge(store, join(dir, 'c.db'));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(Boolean(PG_SKIP_REASON))('PostgreSQL', async () => {
    const db = await createTestDatabase('tc_ovf');
    const store = await PostgresStore.open(db.url, { poolSize: 2 });
    try {
      await driveToTheEdge(store, db.url);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
