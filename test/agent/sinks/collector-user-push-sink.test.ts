import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorUserPushSink } from '../../../src/agent/sinks/collector-user-push-sink.js';
import { DeliveryError } from '../../../src/agent/sinks/sink.js';
import { freePort } from '../../support/free-port.js';
import { EPOCH, userRecord, deliveryContext } from './sink-fixtures.js';

const ctx = deliveryContext();
const NODE_TOKEN = 'collector-node-token';

interface Seen {
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** The collector's push endpoint as far as the agent can see it: bearer auth, Idempotency-Key dedup, failure modes. */
interface FakeCollector {
  url: string;
  seen: Seen[];
  /** Keys applied, in order; a repeated key is acknowledged, not applied. */
  applied: string[];
  /** Status to answer (without applying) for the request with this key. */
  failKey: Map<string, number>;
  close(): Promise<void>;
}

async function startFakeCollector(port = 0): Promise<FakeCollector> {
  const fake: Omit<FakeCollector, 'url' | 'close'> = { seen: [], applied: [], failKey: new Map() };
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://collector.invalid');
      fake.seen.push({
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: JSON.parse(text),
      });
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (req.headers.authorization !== `Bearer ${NODE_TOKEN}`)
        return reply(422, { message: 'Invalid token', errors: { token: ['invalid'] } });
      const key = String(req.headers['idempotency-key']);
      const fail = fake.failKey.get(key);
      if (fail) return reply(fail, { message: `failing ${key}` });
      if (!fake.applied.includes(key)) fake.applied.push(key);
      reply(200, { status: 'success', message: 'ok', data: true, error: null });
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return Object.assign(fake, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  });
}

let collector: FakeCollector | undefined;
const sinks: CollectorUserPushSink[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await collector?.close();
  collector = undefined;
});

function sink(url: string, token = NODE_TOKEN): CollectorUserPushSink {
  const s = new CollectorUserPushSink({ url, nodeId: 3, nodeType: 'vless', token, timeoutMs: 2_000, batchSize: 50 });
  sinks.push(s);
  return s;
}

describe('CollectorUserPushSink', () => {
  it('takes only records with users', () => {
    const s = sink('http://127.0.0.1:9');
    expect(s.takes(userRecord(1, { '1': ['1', '2'] }))).toBe(true);
    expect(s.takes({ ...userRecord(2, {}), users: undefined })).toBe(false);
    expect(s.takes(userRecord(3, {}))).toBe(false);
    expect(s.sendsEmpty).toBe(false);
  });

  it('pushes one record per request with the bearer token, the Idempotency-Key and the measured-at time', async () => {
    collector = await startFakeCollector();
    const records = [userRecord(11, { '1': ['1024', '4096'] }), userRecord(12, { '7': ['0', '512'], '1': ['1', '1'] })];

    const res = await sink(collector.url).deliver(records, ctx);

    expect([...res.acked]).toEqual([11, 12]);
    expect(collector.seen).toHaveLength(2);
    const [a, b] = collector.seen;
    expect(a.path).toBe('/api/v1/server/UniProxy/push');
    expect(a.query).toEqual({ node_id: '3', node_type: 'vless' });
    expect(a.headers.authorization).toBe(`Bearer ${NODE_TOKEN}`);
    expect(a.headers['idempotency-key']).toBe(`3:${EPOCH}:11`);
    expect(a.headers['x-traffic-measured-at']).toBe(String(records[0].to));
    expect(a.body).toStrictEqual({ '1': [1024, 4096] });
    expect(b.headers['idempotency-key']).toBe(`3:${EPOCH}:12`);
    expect(b.body).toStrictEqual({ '7': [0, 512], '1': [1, 1] });
  });

  it('acknowledges a replay: the collector answers {"data":true} for a key it already applied, and applies it once', async () => {
    collector = await startFakeCollector();
    const s = sink(collector.url);
    const records = [userRecord(5, { '1': ['10', '20'] })];
    expect([...(await s.deliver(records, ctx)).acked]).toEqual([5]);
    expect([...(await s.deliver(records, ctx)).acked]).toEqual([5]); // e.g. after our answer was lost
    expect(collector.seen).toHaveLength(2);
    expect(collector.applied).toEqual([`3:${EPOCH}:5`]);
  });

  it('stops at the first failure: what came before is acknowledged, the rest is offered again', async () => {
    collector = await startFakeCollector();
    collector.failKey.set(`3:${EPOCH}:2`, 503);
    const s = sink(collector.url);
    const records = [1, 2, 3].map((seq) => userRecord(seq, { '1': [String(seq), '0'] }));

    const first = await s.deliver(records, ctx);
    expect([...first.acked]).toEqual([1]);
    expect(collector.seen.map((r) => r.headers['idempotency-key'])).toEqual([`3:${EPOCH}:1`, `3:${EPOCH}:2`]); // 3 never sent

    const err = (await s.deliver(records.slice(1), ctx).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(503);

    collector.failKey.clear();
    expect([...(await s.deliver(records.slice(1), ctx)).acked]).toEqual([2, 3]);
    expect(collector.applied).toEqual([1, 2, 3].map((seq) => `3:${EPOCH}:${seq}`));
  });

  it('a refused token is not retryable; an unreachable collector is', async () => {
    collector = await startFakeCollector();
    const refused = (await sink(collector.url, 'wrong')
      .deliver([userRecord(1, { '1': ['1', '1'] })], ctx)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(refused.retryable).toBe(false);
    expect(refused.message).toContain('Invalid token');
    expect(refused.message).not.toContain('wrong');

    const port = await freePort();
    const down = (await sink(`http://127.0.0.1:${port}`)
      .deliver([userRecord(1, { '1': ['1', '1'] })], ctx)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(down).toBeInstanceOf(DeliveryError);
    expect(down.retryable).toBe(true);
    expect(down.status).toBeNull();
  });
});
