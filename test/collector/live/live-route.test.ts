/**
 * GET /api/v1/live over real sockets: refused without the admin token (before anything is opened, nothing of the token
 * in the log), a heartbeat pushed to an open stream within a second, keep-alive comments, the cap on open streams, the
 * clean-up when a client goes away, and the collector stopping with streams open.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUFFERED } from '../../../src/collector/live/live-streams.js';
import { ADMIN, startLiveApp, type LiveApp } from './live-app.js';
import { openSse, type SseConnection } from './sse-client.js';

let live: LiveApp | undefined;
const open: SseConnection[] = [];
afterEach(async () => {
  for (const c of open.splice(0)) c.close();
  await live?.close();
  live = undefined;
});

const auth = { authorization: `Bearer ${ADMIN}` };
async function stream(headers: Record<string, string> = auth): Promise<SseConnection> {
  const c = await openSse(`${live!.url}/api/v1/live`, headers);
  open.push(c);
  return c;
}
const until = async (what: string, check: () => Promise<boolean> | boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('GET /api/v1/live', () => {
  it('refuses a missing, wrong or malformed token with 401 before opening anything, then rate-limits', async () => {
    live = await startLiveApp({ authFailuresPerMinute: 8 });
    const wrong = 'wrong-token-but-long-enough-0123456789';
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: `Bearer ${wrong}` },
      { authorization: 'Bearer' },
      { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` },
      { authorization: `Bearer ${ADMIN}x` },
      { authorization: `Bearer ${'A'.repeat(8000)}` },
      { authorization: `bearer  ${ADMIN.slice(0, -1)}` },
    ];
    for (const headers of attempts) {
      const c = await stream(headers);
      expect(c.status, JSON.stringify(headers).slice(0, 80)).toBe(401);
      expect(c.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(c.body).error.code).toBe('TC_UNAUTHORIZED');
    }
    // A query-string token is not a way in (and is not logged).
    const viaQuery = await openSse(`${live.url}/api/v1/live?token=${ADMIN}`);
    expect(viaQuery.status).toBe(401);
    // Past authFailuresPerMinute from this address: 429, still nothing opened.
    const limited = await stream({ authorization: `Bearer ${wrong}` });
    expect(limited.status).toBe(429);
    expect(JSON.parse(limited.body).error.code).toBe('TC_RATE_LIMITED');
    expect(await live.metric('traffic_collector_live_streams')).toBe(0);
    const log = live.logs.join('');
    expect(log).not.toContain(ADMIN.slice(0, 20));
    expect(log).not.toContain(wrong);
    expect(log).not.toContain('live stream opened');
    expect(log).toContain('"statusCode":401');
  });

  it('sends hello, then the node a heartbeat changed, well within a second; keep-alive comments in between', async () => {
    live = await startLiveApp({ liveKeepAliveSec: 1 });
    const node = await live.addNode({ name: 'edge-1' });
    const c = await stream();
    expect(c.status).toBe(200);
    expect(c.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(c.headers.get('cache-control')).toBe('no-store');
    const hello = await c.waitFor('hello', (e) => e.event === 'hello');
    expect(hello.data).toMatchObject({ heartbeatIntervalSec: 10, offlineAfterMs: 30_000, keepAliveSec: 1 });
    const sent = Date.now();
    // 12.5 MB in a 10 s record: 10 Mbit/s.
    expect((await live.post(node, 12_500_000n, 1_250_000n)).status).toBe(200);
    const got = await c.waitFor('nodes', (e) => e.event === 'nodes');
    const latency = got.at - sent;
    expect(latency).toBeLessThan(1000);
    const body = got.data as { serverTime: number; nodes: Array<Record<string, unknown>> };
    expect(body.nodes).toHaveLength(1);
    expect(body.nodes[0]).toMatchObject({
      id: node.id,
      name: 'edge-1',
      online: true,
      traffic: { totalRx: '12500000', totalTx: '1250000' },
      currentRate: { rxBps: 10_000_000, txBps: 1_000_000, spanMs: 10_000 },
      load: [0.1, 0.2, 0.3],
    });
    // The same view GET /api/v1/nodes gives.
    const list = (await (await fetch(`${live.url}/api/v1/nodes`, { headers: auth })).json()) as {
      nodes: Array<Record<string, unknown>>;
    };
    expect({ ...list.nodes[0], lastSeen: 0 }).toEqual({ ...body.nodes[0], lastSeen: 0 });
    await until('a keep-alive comment', () => c.text().includes(': keep-alive\n\n'), 3000);
    console.log(`[live] heartbeat -> stream event: ${latency} ms`);
  });

  it('batches: heartbeats of many nodes in quick succession arrive as few events, each node in its newest state', async () => {
    live = await startLiveApp();
    const nodes = [];
    for (let i = 0; i < 20; i++) nodes.push(await live.addNode({ name: `n-${i}` }));
    const c = await stream();
    await c.waitFor('hello', (e) => e.event === 'hello');
    await Promise.all(nodes.map((n) => live!.post(n, 1000n)));
    await Promise.all(nodes.map((n) => live!.post(n, 1000n)));
    const seen = new Map<number, string>();
    await until('every node at 2000 bytes', () => {
      for (const e of c.events.filter((x) => x.event === 'nodes'))
        for (const n of (e.data as { nodes: Array<{ id: number; traffic: { totalRx: string } }> }).nodes)
          seen.set(n.id, n.traffic.totalRx);
      return seen.size === 20 && [...seen.values()].every((v) => v === '2000');
    });
    expect(c.events.filter((e) => e.event === 'nodes').length).toBeLessThan(20);
  });

  it('caps open streams (503 TC_STREAMS_FULL, Retry-After) and frees a slot as soon as a client goes away', async () => {
    live = await startLiveApp({ liveMaxStreams: 3 });
    const first = [await stream(), await stream(), await stream()];
    for (const c of first) expect(c.status).toBe(200);
    const refused = await stream();
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('15');
    expect(JSON.parse(refused.body).error.code).toBe('TC_STREAMS_FULL');
    expect(await live.metric('traffic_collector_live_streams')).toBe(3);
    expect(await live.metric('traffic_collector_live_streams_refused_total')).toBe(1);
    first[0].close();
    await until('the slot to free', async () => (await live!.metric('traffic_collector_live_streams')) === 2);
    expect((await stream()).status).toBe(200);
    const log = live.logs.join('');
    expect(log).toContain('live stream refused');
    expect(log).not.toContain('"level":50'); // a full house is a limit, not an error
  });

  it('many clients at once: exactly the cap is served, the rest refused, and all are forgotten when they leave', async () => {
    live = await startLiveApp({ liveMaxStreams: 32 });
    const all = await Promise.all(Array.from({ length: 60 }, () => stream()));
    const statuses = all.map((c) => c.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(32);
    expect(statuses.filter((s) => s === 503)).toHaveLength(28);
    const node = await live.addNode();
    await live.post(node, 1n);
    const served = all.filter((c) => c.status === 200);
    await Promise.all(served.map((c) => c.waitFor('nodes', (e) => e.event === 'nodes')));
    for (const c of served) c.close();
    await until('every stream forgotten', async () => (await live!.metric('traffic_collector_live_streams')) === 0);
  });

  it('ends open streams with `bye` when the collector stops, and stops promptly', async () => {
    live = await startLiveApp();
    const a = await stream();
    const b = await stream();
    await a.waitFor('hello', (e) => e.event === 'hello');
    const t0 = Date.now();
    await live.app.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    for (const c of [a, b]) {
      await c.waitFor('bye', (e) => e.event === 'bye');
      await c.closed;
    }
    await live.store.close();
    live = undefined;
  });

  it('answers only GET: HEAD and POST are 405 and take no stream slot', async () => {
    live = await startLiveApp({ liveMaxStreams: 1 });
    for (const method of ['HEAD', 'POST'])
      expect((await fetch(`${live.url}/api/v1/live`, { method, headers: auth })).status, method).toBe(405);
    expect(await live.metric('traffic_collector_live_streams')).toBe(0);
    expect((await stream()).status).toBe(200);
  });

  it('can be turned off: liveMaxStreams 0 refuses every stream, and the page keeps polling', async () => {
    live = await startLiveApp({ liveMaxStreams: 0 });
    expect((await stream()).status).toBe(503);
    expect((await fetch(`${live.url}/api/v1/nodes`, { headers: auth })).status).toBe(200);
  });
});

describe('GET /api/v1/live with clients that do not read', () => {
  /** A raw connection that sends the request and then reads nothing (the kernel buffers fill, then Node's). */
  function silentClient(url: string): Promise<Socket> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const sock = connect(Number(port), hostname, () => {
        sock.write(`GET /api/v1/live HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${ADMIN}\r\n\r\n`);
        sock.pause();
        resolve(sock);
      });
      sock.on('error', reject);
    });
  }

  /** Nodes with long names make big `nodes` events, so buffers fill in a few rounds. */
  async function bigFleet(app: LiveApp, count: number): Promise<number[]> {
    const ids = [];
    for (let i = 0; i < count; i++) ids.push((await app.addNode({ name: `node-${i}-${'x'.repeat(1500)}` })).id);
    return ids;
  }

  const waitLog = (app: LiveApp, text: string, ms: number, pump: () => void) =>
    until(
      text,
      () => {
        pump();
        return app.logs.some((l) => l.includes(text));
      },
      ms,
    );

  it('stops writing to a stream that does not read (bounded buffer), cuts it, and keeps serving the others', async () => {
    live = await startLiveApp({ liveKeepAliveSec: 1 });
    const ids = await bigFleet(live, 300);
    const reader = await stream();
    await reader.waitFor('hello', (e) => e.event === 'hello');
    const silent = await silentClient(live.url);
    await until('two streams', async () => (await live!.metric('traffic_collector_live_streams')) === 2);
    let last = 0;
    const pump = () => {
      if (Date.now() - last < 150) return;
      last = Date.now();
      for (const id of ids) live!.changes.publish(id);
    };
    await waitLog(live, 'live stream behind', 30_000, pump);
    await waitLog(live, 'live stream cut: the client stopped reading', 10_000, pump);
    const cut = JSON.parse(live.logs.find((l) => l.includes('live stream cut')) ?? '{}') as {
      level: number;
      bufferedBytes: number;
      peer: string;
    };
    // One event of 300 nodes is about 500 KB: what the socket held is at most the bound plus one event.
    const eventBytes = Math.max(...reader.events.map((e) => JSON.stringify(e.data).length));
    console.log(
      `[live] silent client cut holding ${cut.bufferedBytes} bytes (bound ${MAX_BUFFERED} + event ${eventBytes})`,
    );
    expect(cut.bufferedBytes).toBeLessThanOrEqual(MAX_BUFFERED + eventBytes + 1024);
    expect(cut.peer).toBe('127.0.0.1');
    expect(cut.level).toBe(40);
    expect(await live.metric('traffic_collector_live_streams_cut_total')).toBe(1);
    expect(await live.metric('traffic_collector_live_streams')).toBe(1);
    // The reading client got the batches all along and is still served.
    const before = reader.events.length;
    pump();
    live.changes.publish(ids[0]);
    await until('another event for the reader', () => reader.events.length > before, 3000);
    expect(reader.events.filter((e) => e.event === 'nodes').length).toBeGreaterThan(3);
    silent.destroy();
  });

  it('a stream that falls behind and then reads again is told to resync', async () => {
    live = await startLiveApp({ liveKeepAliveSec: 5 });
    const ids = await bigFleet(live, 300);
    const slow = await silentClient(live.url);
    let received = '';
    slow.on('data', (d: Buffer) => {
      received += d.toString('latin1');
    });
    slow.pause();
    let last = 0;
    await waitLog(live, 'live stream behind', 30_000, () => {
      if (Date.now() - last < 150) return;
      last = Date.now();
      for (const id of ids) live!.changes.publish(id);
    });
    slow.resume();
    await until('the resync event', () => received.includes('event: resync\ndata: {"reason":"behind"}'), 10_000);
    expect(live.logs.some((l) => l.includes('live stream drained'))).toBe(true);
    expect(await live.metric('traffic_collector_live_streams_cut_total')).toBe(0);
    slow.destroy();
  });
});
