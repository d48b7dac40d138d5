/** The collector sinks against the real collector app (SQLite in memory) on 127.0.0.1. */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorHeartbeatSink } from '../../../src/agent/sinks/collector-heartbeat-sink.js';
import { CollectorUserPushSink } from '../../../src/agent/sinks/collector-user-push-sink.js';
import { DeliveryError } from '../../../src/agent/sinks/sink.js';
import { buildApp } from '../../../src/collector/app.js';
import { defaultConfig } from '../../../src/collector/config.js';
import { SqliteStore } from '../../../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../../../src/collector/tokens.js';
import { MAX_SEQ_AHEAD } from '../../../src/protocol/seq-bound.js';
import { EPOCH, userRecord, deliveryContext } from './sink-fixtures.js';

const NODE_TOKEN = 'real-collector-node-token';
const ctx = deliveryContext();

describe('CollectorUserPushSink against the real collector', () => {
  let store: SqliteStore;
  let app: FastifyInstance;
  let sink: CollectorUserPushSink;
  let heartbeat: CollectorHeartbeatSink;
  let nodeId: number;

  beforeAll(async () => {
    store = await SqliteStore.open(':memory:');
    const node = await store.addNode({
      name: 'n1',
      tokenHash: hashToken(NODE_TOKEN),
      rate: '1',
      resetDay: 1,
      timezone: 'UTC',
      createdAt: Date.now(),
    });
    nodeId = node.id;
    app = await buildApp({
      store,
      config: { ...defaultConfig(), maxEventLoopDelayMs: 0 },
      logger: false,
      adminToken: 'admin-token-for-the-test',
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    sink = new CollectorUserPushSink({
      url: address,
      nodeId,
      nodeType: 'vmess',
      token: NODE_TOKEN,
      timeoutMs: 5_000,
      batchSize: 50,
    });
    heartbeat = new CollectorHeartbeatSink({ url: address, token: NODE_TOKEN, timeoutMs: 5_000, batchSize: 50 });
  });

  afterAll(async () => {
    await sink?.close();
    await heartbeat?.close();
    await app?.close();
    await store?.close();
  });

  it('applies each record once, acknowledges a resend of the same key, and books it on the day measured', async () => {
    const records = [userRecord(1, { '1': ['1000', '3000'], '7': ['5', '6'] }), userRecord(2, { '1': ['24', '96'] })];
    const dayStartSec = Math.floor(Date.UTC(2026, 0, 15) / 1000);

    expect([...(await sink.deliver(records, ctx)).acked]).toEqual([1, 2]);
    expect([...(await sink.deliver(records, ctx)).acked]).toEqual([1, 2]); // a resend after a lost answer

    const users = await store.nodeUsers(nodeId, dayStartSec, dayStartSec + 86_400, 10);
    const byId = Object.fromEntries(users.map((u) => [u.userId, [u.u, u.d]]));
    expect(byId).toEqual({ 1: [1024n, 3096n], 7: [5n, 6n] });
    // Measured on 2026-01-15 (X-Traffic-Measured-At), so nothing on the day it was received.
    const today = Math.floor(Date.now() / 86_400_000) * 86_400;
    expect(await store.nodeUsers(nodeId, today, today + 86_400, 10)).toEqual([]);
  });

  it('a push resent under its key with other counts is a conflict: refused, not retried at once, seq named', async () => {
    await sink.deliver([userRecord(9, { '3': ['10', '20'] })], ctx);
    const err = await sink.deliver([userRecord(9, { '3': ['10', '21'] })], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ status: 409, retryable: false, conflict: { seqs: [9] } });
    expect((err as Error).message).toContain(`epoch ${EPOCH}, seq 9`);
  });

  it('a heartbeat record resent with other contents is a conflict naming its seq; the records before it are acked', async () => {
    const rec = (seq: number, rx: string) => ({ seq, from: Date.now() - 60_000, to: Date.now(), rx, tx: '1' });
    expect([...(await heartbeat.deliver([rec(5, '100')], ctx)).acked]).toEqual([5]);
    const err = await heartbeat.deliver([rec(5, '101'), rec(6, '1')], ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, retryable: false, conflict: { seqs: [5] } });
    expect((err as Error).message).toContain(`epoch ${EPOCH} seq 5`);
  });

  it("a push keyed too far above the epoch's heartbeat records is a refusal (backoff), not a conflict; real pushes go on", async () => {
    const c = deliveryContext('00000000000000e1');
    const rec = { seq: 40, from: Date.now() - 60_000, to: Date.now(), rx: '1', tx: '1' };
    expect([...(await heartbeat.deliver([rec], c)).acked]).toEqual([40]);
    const far = 40 + MAX_SEQ_AHEAD + 1;
    const err = await sink.deliver([userRecord(far, { '5': ['1', '1'] })], c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err).toMatchObject({ status: 422, retryable: false });
    expect((err as DeliveryError).conflict).toBeNull();
    expect((err as Error).message).toContain(`seq ${far} is more than ${MAX_SEQ_AHEAD} above 40`);
    expect([...(await sink.deliver([userRecord(41, { '5': ['1', '1'] })], c)).acked]).toEqual([41]);
  });
});
