/**
 * Per-user traffic end to end with real parts: a real V2Ray server (vmess, two users, stats API) and a real V2Ray
 * client, known amounts fetched through it from a local HTTP server, the real agent reading the stats without reset
 * and pushing to the real collector. The collector's per-user, per-node numbers equal V2Ray's own counters.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { readProxyStats, parseUserCounters, closeProxyStats } from '../../src/agent/sources/proxy-stats/index.js';
import { startAgent, type RunningAgent } from '../support/agent-binary.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { fetchThroughProxy, startByteServer, startV2RayPair, type V2RayPair } from '../support/v2ray.js';

let v2ray: V2RayPair | null = null;
let bytes: Awaited<ReturnType<typeof startByteServer>> | null = null;
let collector: CollectorProcess | null = null;
let agent: RunningAgent | null = null;
const dirs: string[] = [];
afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await collector?.stop();
  await v2ray?.stop();
  await bytes?.close();
  closeProxyStats();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface UserTraffic {
  nodes: { nodeId: number | null; u: string; d: string }[];
  total: { u: string; d: string };
}

async function userTraffic(c: CollectorProcess, id: string): Promise<UserTraffic> {
  const res = await request(`${c.url}/api/v1/users/${id}/traffic`, {
    headers: { authorization: `Bearer ${c.adminToken}` },
  });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as UserTraffic;
}

describe('per-user traffic through a real V2Ray', () => {
  it("books each user's traffic on the node exactly as V2Ray counted it", { timeout: 90_000 }, async () => {
    v2ray = await startV2RayPair({ users: ['1', '2'] });
    bytes = await startByteServer();
    collector = await startCollector();
    const node = await collector.addNode({ name: 'proxy-node' });
    const fx = await ProcFixture.create();
    const dir = mkdtempSync(join(tmpdir(), 'v2ray-e2e-'));
    dirs.push(dir);
    const cfg = join(dir, 'agent.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { id: node.id, token: node.token },
        collector: { url: collector.url, timeoutMs: 3000 },
        stateDir: join(dir, 'state'),
        procRoot: fx.root,
        heartbeatIntervalSec: 0.2,
        userTraffic: { enabled: true, address: v2ray.apiAddress, api: 'v2ray' },
      }),
    );
    agent = startAgent(['run', '-c', cfg]);
    await agent.waitFor('"event":"start"');
    const before = parseUserCounters(
      (await readProxyStats({ address: v2ray.apiAddress, api: 'v2ray', timeoutMs: 3000 })).counters,
    ).users;

    const plan: [string, number][] = [
      ['1', 300 * 1024],
      ['2', 1024 * 1024],
      ['1', 64 * 1024],
      ['2', 5000],
    ];
    for (const [user, n] of plan) {
      expect(await fetchThroughProxy(bytes.urlFor(n), v2ray.proxyFor(user))).toBe(n);
    }
    // V2Ray's own counters now, less what they held at the agent's baseline, are the ground truth.
    const after = parseUserCounters(
      (await readProxyStats({ address: v2ray.apiAddress, api: 'v2ray', timeoutMs: 3000 })).counters,
    ).users;
    const truth = (id: string) => ({
      u: (after.get(id)?.up ?? 0n) - (before.get(id)?.up ?? 0n),
      d: (after.get(id)?.down ?? 0n) - (before.get(id)?.down ?? 0n),
    });
    expect(truth('1').d).toBeGreaterThanOrEqual(BigInt(364 * 1024));
    expect(truth('2').d).toBeGreaterThanOrEqual(BigInt(1024 * 1024 + 5000));

    const deadline = Date.now() + 30_000;
    let got: Record<string, UserTraffic> = {};
    for (;;) {
      got = { '1': await userTraffic(collector, '1'), '2': await userTraffic(collector, '2') };
      const match = ['1', '2'].every(
        (id) => got[id].total.u === truth(id).u.toString() && got[id].total.d === truth(id).d.toString(),
      );
      if (match) break;
      if (Date.now() > deadline) {
        throw new Error(
          `collector ${JSON.stringify(got)} never matched V2Ray ${JSON.stringify({ 1: truth('1'), 2: truth('2') }, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n${agent.output().slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const id of ['1', '2']) {
      expect(got[id].nodes).toEqual([
        {
          nodeId: node.id,
          u: truth(id).u.toString(),
          d: truth(id).d.toString(),
          total: (truth(id).u + truth(id).d).toString(),
        },
      ]);
    }
    // The ranking orders them by total.
    const res = await request(`${collector.url}/api/v1/rankings/users?limit=10`, {
      headers: { authorization: `Bearer ${collector.adminToken}` },
    });
    const ranking = (await res.body.json()) as { users: { userId: number; total: string }[] };
    expect(ranking.users.map((u) => u.userId)).toEqual([2, 1]);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).not.toContain(node.token);
  });
});
