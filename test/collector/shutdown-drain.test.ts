/**
 * SIGTERM to the real collector binary with connections open (src/collector/connection-drain.ts): a connection that
 * never sent a request no longer holds the stop (it waited ~70 s and more); a request in flight is still answered
 * in full; a request that never completes is cut after shutdownGraceMs, so the stop is bounded whatever clients do.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { until } from '../support/until.js';
import { heartbeatBody } from './app-helper.js';

let c: CollectorProcess | null = null;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await c?.stop();
  c = null;
});

interface Raw {
  socket: Socket;
  received(): string;
  closedAt: number | null;
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let text = '';
  const raw: Raw = { socket, received: () => text, closedAt: null };
  socket.on('data', (d) => (text += d.toString()));
  socket.on('error', () => undefined);
  socket.on('close', () => (raw.closedAt = Date.now()));
  await new Promise<void>((r) => socket.once('connect', () => r()));
  return raw;
}

/** Headers and the first half of a heartbeat's body: the request is in flight, its body not all in yet. */
function startHeartbeat(raw: Raw, token: string): string {
  const body = JSON.stringify(
    heartbeatBody({
      records: [{ seq: 1, from: Date.now() - 1000, to: Date.now(), rx: '1000', tx: '2000' }],
      sentAt: Date.now(),
    }),
  );
  raw.socket.write(
    `POST ${HEARTBEAT_PATH} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`,
  );
  return body.slice(20);
}

const exitOf = (p: CollectorProcess) =>
  new Promise<{ code: number | null; at: number }>((resolve) => {
    if (p.child.exitCode !== null) resolve({ code: p.child.exitCode, at: Date.now() });
    else p.child.once('exit', (code) => resolve({ code, at: Date.now() }));
  });

describe('collector SIGTERM with open connections', () => {
  it('closes idle connections at once and answers the request in flight before it exits', async () => {
    c = await startCollector({ config: { logLevel: 'info', shutdownGraceMs: 20_000 } });
    const node = await c.addNode({ name: 'drain' });
    const idle = await open(c.port); // opened, never a byte sent
    const keptAlive = await open(c.port); // one request answered, then idle on keep-alive
    keptAlive.socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    await until(() => keptAlive.received().includes('\r\n\r\n'), 'the /healthz answer');
    const busy = await open(c.port);
    const rest = startHeartbeat(busy, node.token);
    // The headers are parsed within moments; give a loaded machine a little more.
    await new Promise((r) => setTimeout(r, 500));

    const exited = exitOf(c);
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    await until(() => idle.closedAt !== null && keptAlive.closedAt !== null, 'the idle connections to close', {
      ms: 5_000,
    });
    expect(idle.received()).toBe('');
    expect(busy.closedAt).toBeNull(); // still owed an answer
    expect(c.child.exitCode).toBeNull(); // and so the collector waits for it

    busy.socket.write(rest);
    await until(() => busy.closedAt !== null, 'the answer to the request in flight, then the close', { ms: 10_000 });
    const answer = busy.received();
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ nodeId: node.id, acked: [1] });

    const { code, at } = await exited;
    expect(code).toBe(0);
    // Bounded by the work left, not by the clients: well under the 20 s grace and systemd's TimeoutStopSec=30s.
    expect(at - t0).toBeLessThan(8_000);
    expect(c.output()).toContain('collector stopped');
    expect(c.output()).not.toContain('their connections were cut');
  });

  it('cuts a request that never completes once shutdownGraceMs is over', async () => {
    c = await startCollector({ config: { logLevel: 'info', shutdownGraceMs: 1500 } });
    const node = await c.addNode({ name: 'stall' });
    const stalled = await open(c.port);
    startHeartbeat(stalled, node.token); // the rest of the body never comes
    await new Promise((r) => setTimeout(r, 500));
    const exited = exitOf(c);
    const t0 = Date.now();
    c.child.kill('SIGTERM');
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - t0).toBeGreaterThanOrEqual(1500);
    expect(at - t0).toBeLessThan(8_000);
    expect(stalled.closedAt).not.toBeNull();
    expect(c.output()).toContain('requests still unanswered after shutdownGraceMs; their connections were cut');
    expect(c.output()).toContain('"connections":1');
  });
});
