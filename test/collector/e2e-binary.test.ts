/** The collector binary end to end: CLI node registry, real heartbeats over HTTP (undici), exact totals, SIGTERM. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, request } from 'undici';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';

describe('traffic-collector binary (SQLite)', () => {
  let c: CollectorProcess;
  const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
  beforeAll(async () => {
    c = await startCollector();
  });
  afterAll(async () => {
    await c?.stop();
    await dispatcher.close();
  });

  it('registers nodes with the CLI, ingests real heartbeats, and reports exact totals', async () => {
    const a = await c.addNode({ name: 'edge-a', rate: '2', resetDay: 5, timezone: 'Europe/Berlin' });
    const b = await c.addNode({ name: 'edge-b' });
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.id).toBe(a.id + 1);
    const listed = JSON.parse(await c.cli(['node', 'list']));
    expect(listed).toEqual([
      expect.objectContaining({ id: a.id, name: 'edge-a', rate: '2', resetDay: 5, timezone: 'Europe/Berlin' }),
      expect.objectContaining({ id: b.id, name: 'edge-b', rate: '1' }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(a.token);

    const now = Date.now();
    let expectRx = 0n;
    for (let i = 1; i <= 40; i++) {
      const rx = (1n << 40n) + BigInt(i);
      expectRx += rx;
      const records = [{ seq: i, from: now - 1000, to: now, rx: rx.toString(), tx: String(i) }];
      const send = () =>
        request(`${c.url}${HEARTBEAT_PATH}`, {
          method: 'POST',
          dispatcher,
          headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            epoch: 'aaaaaaaaaaaaaaaa',
            records,
            load: [0.5, 0.4, 0.3],
            uptimeSec: 99,
            bootId: 'boot',
            agentVersion: '9.9.9',
            sentAt: Date.now(),
          }),
        });
      const res = await send();
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toMatchObject({ nodeId: a.id, acked: [i], duplicates: 0 });
      if (i % 10 === 0) {
        const again = await send(); // a resend, as after a lost answer
        expect(await again.body.json()).toMatchObject({ acked: [i], duplicates: 1 });
      }
    }
    const res = await request(`${c.url}/api/v1/nodes`, {
      dispatcher,
      headers: { authorization: `Bearer ${c.adminToken}` },
    });
    const { nodes } = (await res.body.json()) as {
      nodes: Array<{ id: number; online: boolean; traffic: Record<string, string>; agentVersion: string }>;
    };
    const na = nodes.find((n) => n.id === a.id)!;
    expect(na).toMatchObject({ online: true, agentVersion: '9.9.9' });
    expect(na.traffic.totalRx).toBe(expectRx.toString());
    expect(na.traffic.totalTx).toBe(String((40 * 41) / 2));
    expect(nodes.find((n) => n.id === b.id)?.traffic.total).toBe('0');

    const wrong = await request(`${c.url}/api/v1/nodes`, { dispatcher, headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    await wrong.body.dump();
  });

  it('rotates and removes nodes with the CLI', async () => {
    const n = await c.addNode({ name: 'temp' });
    const rotated = JSON.parse(await c.cli(['node', 'rotate-token', String(n.id)]));
    expect(rotated.id).toBe(n.id);
    expect(rotated.token).not.toBe(n.token);
    const hbBody = JSON.stringify({
      epoch: 'bbbbbbbbbbbbbbbb',
      records: [],
      load: null,
      uptimeSec: 1,
      bootId: null,
      agentVersion: 'x',
      sentAt: 1,
    });
    const post = (token: string) =>
      request(`${c.url}${HEARTBEAT_PATH}`, {
        method: 'POST',
        dispatcher,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: hbBody,
      });
    const old = await post(n.token);
    expect(old.statusCode).toBe(401);
    await old.body.dump();
    const fresh = await post(rotated.token);
    expect(fresh.statusCode).toBe(200);
    await fresh.body.dump();
    expect(JSON.parse(await c.cli(['node', 'remove', String(n.id)]))).toEqual({ id: n.id, removed: true });
    await expect(c.cli(['node', 'remove', String(n.id)])).rejects.toThrow(/no node/);
    await expect(c.cli(['node', 'add', '--name', 'x', '--reset-day', '40'])).rejects.toThrow(/reset-day/);
  });

  it('refuses a duplicate node name unless --allow-duplicate-name', async () => {
    const first = await c.addNode({ name: 'edge-1' });
    await expect(c.cli(['node', 'add', '--name', 'Edge-1 '])).rejects.toThrow(
      new RegExp(`node ${first.id} is already called "edge-1".*--allow-duplicate-name`),
    );
    const second = JSON.parse(await c.cli(['node', 'add', '--name', 'edge-1', '--allow-duplicate-name']));
    expect(second.id).toBeGreaterThan(first.id);
    const names = (JSON.parse(await c.cli(['node', 'list'])) as { name: string }[]).map((n) => n.name);
    expect(names.filter((n) => n === 'edge-1')).toHaveLength(2);
  });

  it('stops on SIGTERM with exit code 0 and closes the port', async () => {
    const port = c.port;
    expect(await c.stop()).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});

describe('traffic-collector binary without an admin token', () => {
  it('generates one, stores it beside the database with mode 0600, and says where', async () => {
    const { mkdtempSync, readFileSync, statSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'tc-admin-'));
    const c = await startCollector({
      db: join(dir, 'sub', 'collector.db'),
      adminToken: '',
      config: { logLevel: 'info' },
    });
    try {
      const file = join(dir, 'sub', 'admin-token');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(c.output()).toContain(file);
      expect(c.output()).not.toContain(token);
      expect((await fetch(`${c.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        200,
      );
    } finally {
      await c.stop();
    }
  });
});
