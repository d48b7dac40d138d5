/**
 * The collector under a hostile client, over real sockets on 127.0.0.1: credentials are checked before a body is
 * read (a refused request is answered with only its headers sent, and the connection closed), the failed-auth
 * limiter never refuses valid credentials, a trickling body is cut after requestTimeoutMs, a push is capped in users,
 * and past the configured pressure the collector answers 503 with Retry-After.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { ADMIN, makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function listen(config: Record<string, unknown> = {}): Promise<{ t: TestApp; port: number }> {
  t = await makeTestApp(config, Date.now());
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return { t, port: (t.app.server.address() as AddressInfo).port };
}

/**
 * Sends a request head declaring `declaredLength` body bytes, then only `sent` of them, and reads until the server
 * answers and closes (or `waitMs` passes). Returns the answer's text and whether the server closed the connection.
 */
function partialRequest(
  port: number,
  head: string,
  declaredLength: number,
  sent: string,
  waitMs = 5000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ text, closed: false });
    }, waitMs);
    sock.on('data', (d) => {
      text += d.toString('latin1');
    });
    sock.on('error', () => undefined); // a reset after the answer is the point of the test; the text says the rest
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
    sock.write(`${head}\r\nHost: 127.0.0.1\r\nContent-Length: ${declaredLength}\r\n\r\n${sent}`);
  });
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const body = (text: string) =>
  JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''));
const MIB32 = 32 * 1024 * 1024;

describe('authentication before the body', () => {
  it('refuses a 32 MiB push with a wrong query token without waiting for its body, and closes', async () => {
    const { port } = await listen();
    const res = await partialRequest(port, `POST ${UNIPROXY_PUSH_PATH}?node_id=1&token=wrong HTTP/1.1`, MIB32, '{"1":');
    expect(status(res.text), res.text).toBe(422);
    expect(body(res.text)).toEqual({ message: 'Invalid token', errors: { token: ['Invalid token'] } });
    expect(res.text).toMatch(/\r\nconnection: close\r\n/i);
    expect(res.closed).toBe(true);
  });

  it('refuses a big push whose credentials could only be in its body, naming the rule', async () => {
    const { t: app, port } = await listen();
    const n = await app.addNode();
    const res = await partialRequest(port, `POST ${UNIPROXY_PUSH_PATH}?node_id=${n.id} HTTP/1.1`, MIB32, '{"token":');
    expect(status(res.text), res.text).toBe(422);
    expect(JSON.stringify(body(res.text))).toMatch(/query string or .*Authorization/);
    expect(res.closed).toBe(true);
  });

  it('still takes credentials from a small body (the panel contract)', async () => {
    const { t: app } = await listen();
    const n = await app.addNode();
    const res = await app.app.inject({
      method: 'POST',
      url: UNIPROXY_PUSH_PATH,
      payload: JSON.stringify({ node_id: n.id, token: n.token, 7: [1, 2] }),
    });
    expect(res.statusCode, res.body).toBe(200);
  });

  it('refuses a heartbeat and an admin POST with a wrong token before their bodies', async () => {
    const { port } = await listen();
    const hb = await partialRequest(
      port,
      `POST ${HEARTBEAT_PATH} HTTP/1.1\r\nAuthorization: Bearer wrong\r\nContent-Type: application/json`,
      900_000,
      '{"epoch":',
    );
    expect(status(hb.text), hb.text).toBe(401);
    expect(hb.closed).toBe(true);
    const admin = await partialRequest(
      port,
      'POST /api/v1/nodes/1/period/reset HTTP/1.1\r\nAuthorization: Bearer wrong\r\nContent-Type: application/json',
      900_000,
      '{',
    );
    expect(status(admin.text), admin.text).toBe(401);
    expect(admin.closed).toBe(true);
  });
});

describe('failed-auth limiter', () => {
  it('keeps serving a good node and the admin from an address flooding bad tokens', async () => {
    const { t: app } = await listen({ authFailuresPerMinute: 5 });
    const n = await app.addNode();
    const codes = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const bad =
        i % 2
          ? await app.heartbeat(`wrong-${i}`, {})
          : await app.app.inject({
              method: 'POST',
              url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=wrong-${i}`,
              payload: '{"1":[1,1]}',
            });
      codes.set(bad.statusCode, (codes.get(bad.statusCode) ?? 0) + 1);
      if (i % 20 === 0) {
        const hb = await app.heartbeat(n.token, { sentAt: Date.now() });
        expect(hb.statusCode, hb.body).toBe(200);
        const push = await app.app.inject({
          method: 'POST',
          url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`,
          payload: '{"1":[1,1]}',
        });
        expect(push.statusCode, push.body).toBe(200);
        const admin = await app.admin('/api/v1/nodes');
        expect(admin.statusCode, admin.body).toBe(200);
      }
    }
    // The first failures are told apart (401/422), the rest are throttled with a Retry-After.
    expect(codes.get(429)).toBeGreaterThan(180);
    const throttled = await app.heartbeat('wrong-again', {});
    expect(throttled.statusCode).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    const adminBad = await app.app.inject({ url: '/api/v1/nodes', headers: { authorization: `Bearer ${ADMIN}x` } });
    expect(adminBad.statusCode).toBe(429);
  });
});

describe('limits', () => {
  it('cuts a body trickling in after requestTimeoutMs', async () => {
    const { t: app, port } = await listen({ requestTimeoutMs: 1000 });
    const n = await app.addNode();
    const started = Date.now();
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => undefined); // the server cutting us is the expected end
    const closed = new Promise<string>((resolve) => {
      let text = '';
      sock.on('data', (d) => {
        text += String(d);
      });
      sock.on('close', () => resolve(text));
    });
    sock.write(
      `POST ${HEARTBEAT_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${n.token}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    );
    const drip = setInterval(() => sock.writable && sock.write(' '), 200);
    const text = await closed;
    clearInterval(drip);
    expect(status(text), text).toBe(408);
    // Cut by the request timeout, not by the 100 bytes running out (that would take 20 s at this pace).
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a push of more users than maxUsersPerPush, saying so, and stores nothing', async () => {
    const { t: app } = await listen({ maxUsersPerPush: 10 });
    const n = await app.addNode();
    const users = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [String(i + 1), [1, 1]]));
    const res = await app.app.inject({
      method: 'POST',
      url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`,
      payload: JSON.stringify(users),
    });
    expect(res.statusCode, res.body).toBe(413);
    expect(res.body).toMatch(/at most 10 users.*maxUsersPerPush/);
    expect((await app.admin(`/api/v1/nodes/${n.id}/users`)).json().users).toEqual([]);
    const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i + 1), [1, 1]]));
    const ok = await app.app.inject({
      method: 'POST',
      url: `${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`,
      payload: JSON.stringify(ten),
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('answers 503 TC_OVERLOADED with Retry-After past the configured heap', async () => {
    const { t: app, port } = await listen({ maxHeapUsedBytes: 1 });
    // The plugin samples once per second; wait for a sample rather than guessing a time.
    let res = await fetch(`http://127.0.0.1:${port}/healthz`);
    for (let i = 0; i < 50 && res.status !== 503; i++) {
      await new Promise((r) => setTimeout(r, 100));
      res = await fetch(`http://127.0.0.1:${port}/healthz`);
    }
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TC_OVERLOADED');
    expect(app.logs.join('')).not.toMatch(/"level":50/);
  });

  it('parses a big authenticated push and books every user exactly', async () => {
    const { t: app, port } = await listen();
    const n = await app.addNode();
    const users: Record<string, [number | string, number]> = {};
    for (let i = 1; i <= 50_000; i++) users[String(i)] = [i, 2 * i];
    users['50001'] = ['9223372036854775807' as unknown as number, 0];
    const text = JSON.stringify(users).replace('"9223372036854775807"', '9223372036854775807');
    const res = await fetch(`http://127.0.0.1:${port}${UNIPROXY_PUSH_PATH}?node_id=${n.id}&token=${n.token}`, {
      method: 'POST',
      body: text,
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const top = (await app.admin(`/api/v1/nodes/${n.id}/users?limit=2`)).json();
    expect(top.users[0]).toMatchObject({ userId: 50001, u: '9223372036854775807', d: '0' });
    expect(top.users[1]).toMatchObject({ userId: 50000, u: '50000', d: '100000' });
  });
});
