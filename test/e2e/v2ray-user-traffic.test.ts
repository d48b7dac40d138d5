/**
 * Per-user traffic end to end with real parts: a real V2Ray server (vmess, two users, stats API) and a real V2Ray
 * client, known amounts fetched through it from a local HTTP server, the real agent reading the stats without reset
 * and pushing to the real collector. The collector's per-user, per-node numbers equal V2Ray's own counters times the
 * node's rate (2, as a panel bills a node whose traffic counts double), and
 * still equal them after answers lost on the way back (the agent sends again, the collector recognises the resend),
 * after the agent stops, and after it starts again on the same state.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createRng } from '../../src/loadgen/rng.js';
import { HEARTBEAT_PATH } from '../../src/protocol/heartbeat.js';
import { UNIPROXY_PUSH_PATH } from '../../src/protocol/uniproxy.js';
import { readProxyStats, parseUserCounters, closeProxyStats } from '../../src/agent/sources/proxy-stats/index.js';
import { startAgent, type RunningAgent } from '../support/agent-binary.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';
import { fetchThroughProxy, startByteServer, startV2RayPair, type V2RayPair } from '../support/v2ray.js';

let v2ray: V2RayPair | null = null;
let bytes: Awaited<ReturnType<typeof startByteServer>> | null = null;
let collector: CollectorProcess | null = null;
let agent: RunningAgent | null = null;
let proxy: FaultProxy | null = null;
const dirs: string[] = [];
afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await proxy?.close();
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
  it("books each user's traffic on the node exactly as V2Ray counted it, times the node's rate", {
    timeout: 90_000,
  }, async () => {
    v2ray = await startV2RayPair({ users: ['1', '2'] });
    bytes = await startByteServer();
    collector = await startCollector();
    const node = await collector.addNode({ name: 'proxy-node', rate: '2' });
    const fx = await ProcFixture.create();
    const dir = mkdtempSync(join(tmpdir(), 'v2ray-e2e-'));
    dirs.push(dir);
    const cfg = join(dir, 'agent.json');
    // Between agent and collector: a proxy that passes everything until told to lose an answer.
    proxy = await startFaultProxy({ upstreams: [collector.url], random: createRng(1).next });
    proxy.enabled = false;
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { id: node.id, token: node.token },
        collector: { url: proxy.url, timeoutMs: 3000 },
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
    const counted = (id: string) => ({
      u: (after.get(id)?.up ?? 0n) - (before.get(id)?.up ?? 0n),
      d: (after.get(id)?.down ?? 0n) - (before.get(id)?.down ?? 0n),
    });
    expect(counted('1').d).toBeGreaterThanOrEqual(BigInt(364 * 1024));
    expect(counted('2').d).toBeGreaterThanOrEqual(BigInt(1024 * 1024 + 5000));
    // What the collector must book: V2Ray's counts times the node's rate.
    const truth = (id: string) => ({ u: counted(id).u * 2n, d: counted(id).d * 2n });

    const c = collector;
    const matches = (got: Record<string, UserTraffic>) =>
      ['1', '2'].every(
        (id) => got[id].total.u === truth(id).u.toString() && got[id].total.d === truth(id).d.toString(),
      );
    const current = async () => ({ '1': await userTraffic(c, '1'), '2': await userTraffic(c, '2') });
    const untilMatch = async (when: string): Promise<Record<string, UserTraffic>> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const got = await current();
        if (matches(got)) return got;
        if (Date.now() > deadline) {
          throw new Error(
            `${when}: collector ${JSON.stringify(got)} never matched V2Ray ${JSON.stringify({ 1: truth('1'), 2: truth('2') }, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}\n${agent?.output().slice(-2000)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const got = await untilMatch('first delivery');
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

    // More traffic, and the answers to the next per-user push and the next heartbeat lost after the collector
    // stored what they carried: the agent must send again, and the collector recognise the resend, not count twice.
    const lostBefore = proxy.counts.dropped;
    proxy.forceNext('drop', UNIPROXY_PUSH_PATH);
    proxy.forceNext('drop', HEARTBEAT_PATH);
    expect(await fetchThroughProxy(bytes.urlFor(200 * 1024), v2ray.proxyFor('1'))).toBe(200 * 1024);
    const later = parseUserCounters(
      (await readProxyStats({ address: v2ray.apiAddress, api: 'v2ray', timeoutMs: 3000 })).counters,
    ).users;
    for (const [id, v] of later) after.set(id, v);
    await untilMatch('after two lost answers');
    expect(proxy.counts.dropped - lostBefore).toBe(2);
    // Still equal once the agent has stopped (its last delivery included) ...
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect(agent.output()).not.toContain(node.token);
    expect(matches(await current())).toBe(true);
    // ... and after it started again on the same state and delivered a few more times.
    agent = startAgent(['run', '-c', cfg]);
    await agent.waitFor('"event":"start"');
    const seen = proxy.counts.requests;
    await until(() => proxy!.counts.requests >= seen + 4, 'four more deliveries after the restart');
    expect(matches(await current())).toBe(true);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  });
});
