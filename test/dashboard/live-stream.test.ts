/**
 * The page's stream reader (src/dashboard/web/live-stream.ts) in Node against the real collector app: SSE parsing,
 * a refused token (stops, no retry), the collector going away and coming back on the same address (reconnects and
 * says hello again), a stream that goes silent (the watchdog), and a full house (waits for Retry-After).
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { LiveStream, parseSse, type StreamState } from '../../src/dashboard/web/live-stream.js';
import { ADMIN, startLiveApp, type LiveApp } from '../collector/live/live-app.js';

const apps: LiveApp[] = [];
const streams: LiveStream[] = [];
let plain: Server | undefined;
afterEach(async () => {
  for (const s of streams.splice(0)) s.stop();
  for (const a of apps.splice(0)) await a.close().catch(() => undefined);
  await new Promise<void>((r) => (plain ? plain.close(() => r()) : r()));
  plain = undefined;
});

function reader(url: string, token = ADMIN, keepAliveMs?: number) {
  const log: Array<{ state?: StreamState; detail?: string; event?: string; data?: unknown }> = [];
  let unauthorized = 0;
  const s = new LiveStream({
    url: `${url}/api/v1/live`,
    token,
    keepAliveMs,
    onEvent: (event, data) => log.push({ event, data }),
    onState: (state, detail) => log.push({ state, detail }),
    onUnauthorized: () => unauthorized++,
  });
  streams.push(s);
  s.start();
  return { s, log, unauthorized: () => unauthorized };
}
const until = async (what: string, check: () => boolean, ms = 8000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('parseSse', () => {
  it('splits events on blank lines (LF, CRLF), joins data lines, skips comments, keeps the unfinished tail', () => {
    const { events, rest } = parseSse(
      'retry: 5000\n\n: keep-alive\n\nevent: hello\ndata: {"a":1}\n\r\nevent: nodes\r\ndata: [1,\r\ndata: 2]\r\n\r\nevent: no',
    );
    expect(events).toEqual([
      { event: 'hello', data: '{"a":1}' },
      { event: 'nodes', data: '[1,\n2]' },
    ]);
    expect(rest).toBe('event: no');
    expect(parseSse('data:x\n\n').events).toEqual([{ event: 'message', data: 'x' }]);
    // A CRLF split across two chunks is one line end, not two.
    const first = parseSse('data: 1\r\n\r');
    expect(first.events).toEqual([]);
    expect(parseSse(`${first.rest}\ndata: 2\n\n`).events).toEqual([
      { event: 'message', data: '1' },
      { event: 'message', data: '2' },
    ]);
  });
});

describe('LiveStream against the collector', () => {
  it('a refused token stops the stream at once: onUnauthorized, no retry', async () => {
    const app = await startLiveApp();
    apps.push(app);
    const r = reader(app.url, 'not-the-admin-token-0123456789');
    await until('unauthorized', () => r.unauthorized() === 1);
    await new Promise((res) => setTimeout(res, 1500));
    expect(r.unauthorized()).toBe(1);
    expect(r.log.filter((e) => e.state === 'connecting')).toHaveLength(1);
  });

  it('reconnects after the collector stopped (bye) and came back on the same address', async () => {
    const first = await startLiveApp();
    const port = Number(new URL(first.url).port);
    const r = reader(first.url);
    await until('open', () => r.log.some((e) => e.state === 'open'));
    await first.close();
    await until('down', () => r.log.some((e) => e.state === 'down'));
    expect(r.log.some((e) => e.event === 'bye')).toBe(true);
    expect(r.log.find((e) => e.state === 'down')?.detail).toMatch(/^the collector is stopping; reconnecting in 1 s$/);
    const second = await startLiveApp({}, port);
    apps.push(second);
    await until('a second hello', () => r.log.filter((e) => e.event === 'hello').length === 2);
    const node = await second.addNode();
    await second.post(node, 5n);
    await until('the update from the new collector', () => r.log.some((e) => e.event === 'nodes'));
  });

  it('treats a stream silent for 2.5 keep-alive intervals as dead', async () => {
    plain = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': open\n\n'); // then nothing, as a proxy that swallowed the stream would
    });
    await new Promise<void>((res) => plain!.listen(0, '127.0.0.1', () => res()));
    const { port } = plain.address() as { port: number };
    const r = reader(`http://127.0.0.1:${port}`, ADMIN, 200);
    await until('down', () => r.log.some((e) => e.state === 'down'));
    expect(r.log.find((e) => e.state === 'down')?.detail).toMatch(/^no data for too long; reconnecting in 1 s$/);
  });

  it('waits as long as Retry-After says when the collector is full', async () => {
    const app = await startLiveApp({ liveMaxStreams: 0, liveKeepAliveSec: 20 });
    apps.push(app);
    const r = reader(app.url);
    await until('down', () => r.log.some((e) => e.state === 'down'));
    expect(r.log.find((e) => e.state === 'down')?.detail).toBe('the collector answered 503; reconnecting in 20 s');
  });
});
