/**
 * Live updates across collector processes on one PostgreSQL database (LISTEN/NOTIFY): a heartbeat landing at
 * collector A reaches a stream open on collector B within a second; when B's LISTEN connection is killed, B says so,
 * reconnects, tells its streams to resync, and carries A's heartbeats again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLICATION_NAME } from '../../../src/collector/live/pg-node-changes.js';
import { FakeAgent } from '../../dashboard/support/agent-http.js';
import { startCollector, type CollectorProcess } from '../../support/collector-process.js';
import { createTestDatabase, PG_SKIP_REASON, warnIfNoPg, type TestDatabase } from '../../support/pg.js';
import { openSse, type SseConnection } from './sse-client.js';

warnIfNoPg('the live updates across collectors');

describe.skipIf(Boolean(PG_SKIP_REASON))(
  `live updates across two collector processes on PostgreSQL${PG_SKIP_REASON ? ` (skipped: ${PG_SKIP_REASON})` : ''}`,
  () => {
    let db: TestDatabase;
    let a: CollectorProcess;
    let b: CollectorProcess;
    let stream: SseConnection;
    const ADMIN = 'live-pg-admin-token-0123456789';

    beforeAll(async () => {
      db = await createTestDatabase('tc_live');
      [a, b] = await Promise.all([
        startCollector({ db: db.url, adminToken: ADMIN }),
        startCollector({ db: db.url, adminToken: ADMIN }),
      ]);
    });
    afterAll(async () => {
      stream?.close();
      await Promise.all([a?.stop(), b?.stop()]);
      await db?.drop();
    });

    it('a heartbeat at collector A shows on a stream from collector B within a second', async () => {
      const node = await a.addNode({ name: 'pg-live-1' });
      const agent = new FakeAgent(a.url, node);
      stream = await openSse(`${b.url}/api/v1/live`, { authorization: `Bearer ${ADMIN}` });
      expect(stream.status).toBe(200);
      await stream.waitFor('hello', (e) => e.event === 'hello');
      const latencies: number[] = [];
      for (let i = 1; i <= 5; i++) {
        const sent = Date.now();
        await agent.heartbeat({ rx: BigInt(i) * 1000n, tx: 1n });
        const total = String((i * (i + 1) * 1000) / 2);
        const got = await stream.waitFor(
          `total ${total} from B`,
          (e) =>
            (e.data as { nodes?: Array<{ id: number; traffic: { totalRx: string } }> }).nodes?.some(
              (n) => n.id === node.id && n.traffic.totalRx === total,
            ) === true,
        );
        latencies.push(got.at - sent);
      }
      latencies.sort((x, y) => x - y);
      console.log(
        `[live] PostgreSQL, heartbeat at A -> event on B: ${latencies.join('/')} ms, median ${latencies[2]} ms`,
      );
      expect(latencies[2]).toBeLessThan(1000);
      expect(latencies[4]).toBeLessThan(2000);
    });

    it("survives the loss of B's LISTEN connection: warns, reconnects, resyncs, carries A's heartbeats again", async () => {
      const node = await a.addNode({ name: 'pg-live-2' });
      const agent = new FakeAgent(a.url, node);
      const admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
      try {
        const killed = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
          [APPLICATION_NAME],
        );
        expect(killed.rowCount).toBe(2); // one LISTEN connection per collector
      } finally {
        await admin.end();
      }
      await stream.waitFor('resync after the LISTEN connection came back', (e) => e.event === 'resync', 10_000);
      expect(b.output()).toContain('the LISTEN connection to PostgreSQL failed');
      await agent.heartbeat({ rx: 77n, tx: 1n });
      await stream.waitFor(
        'the heartbeat after the reconnect',
        (e) =>
          (e.data as { nodes?: Array<{ id: number; traffic: { totalRx: string } }> }).nodes?.some(
            (n) => n.id === node.id && n.traffic.totalRx === '77',
          ) === true,
      );
      // The admin token never reaches the log.
      expect(a.output() + b.output()).not.toContain(ADMIN);
    });
  },
);
