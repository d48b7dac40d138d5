/**
 * The agent never builds a user push the collector would refuse (413, forever): with more users in a tick than
 * userTraffic.maxUsersPerPush, `once` makes several outbox records, each pushed under its own Idempotency-Key.
 * Real collector (SQLite, maxUsersPerPush 5), real agent binary, per-user counters from a StatsService on 127.0.0.1,
 * and a fault proxy that throws away the collector's answer to the first push, so that push is sent again: every
 * user's bytes still arrive exactly once. The same agent without the split (limit 100) is refused, as a control.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNIPROXY_PUSH_PATH } from '../../../src/protocol/uniproxy.js';
import { runAgent } from '../../support/agent-binary.js';
import { type CollectorProcess, startCollector } from '../../support/collector-process.js';
import { type FakeProxyStats, startFakeProxyStats } from '../../support/fake-proxy-stats.js';
import { type FaultProxy, startFaultProxy } from '../../support/fault-proxy.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { ensureBuilt } from '../helpers/agent-cli.js';

const USERS = 23;
const LIMIT = 5;

let collector: CollectorProcess;
let stats: FakeProxyStats;
let proxy: FaultProxy;
let dir: string;

beforeAll(async () => {
  ensureBuilt();
  collector = await startCollector({ config: { maxUsersPerPush: LIMIT } });
  stats = await startFakeProxyStats({ api: 'v2ray' });
  proxy = await startFaultProxy({ upstreams: [collector.url], random: () => 0.99 });
  proxy.enabled = false;
  dir = mkdtempSync(join(tmpdir(), 'tc-split-'));
}, 240_000);

afterAll(async () => {
  await proxy?.close();
  await stats?.close();
  await collector?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function userTotal(id: number): Promise<{ u: string; d: string }> {
  const res = await fetch(`${collector.url}/api/v1/users/${id}/traffic`, {
    headers: { authorization: `Bearer ${collector.adminToken}` },
  });
  expect(res.status).toBe(200);
  const { total } = (await res.json()) as { total: { u: string; d: string } };
  return { u: total.u, d: total.d };
}

async function agentFor(name: string, maxUsersPerPush: number) {
  const node = await collector.addNode({ name });
  const fx = await ProcFixture.create({ interfaces: { eth0: { rx: 1_000n, tx: 2_000n } } });
  const cfg = join(dir, `${name}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { id: node.id, token: node.token },
      collector: { url: proxy.url, timeoutMs: 5000 },
      stateDir: join(dir, `state-${name}`),
      procRoot: fx.root,
      log: { level: 'info' },
      userTraffic: { enabled: true, address: stats.address, api: 'v2ray', maxUsersPerPush },
    }),
  );
  return { node, fx, once: () => runAgent(['once', '-c', cfg]) };
}

describe('per-user pushes split to the collector limit', () => {
  it(`${USERS} users at ${LIMIT} a push: 5 pushes, one answer lost and resent, every byte booked once`, async () => {
    const a = await agentFor('split', LIMIT);
    for (let u = 1; u <= USERS; u++) stats.advance(String(u), 0n, 0n);
    expect((await a.once()).code).toBe(0); // the baseline
    for (let u = 1; u <= USERS; u++) stats.advance(String(u), BigInt(u) * 1_000_003n, BigInt(u) * 7n + 1n);
    await a.fx.grow('eth0', 4_000n, 5_000n);
    const pushesBefore = proxy.counts.requests;
    proxy.forceNext('drop', UNIPROXY_PUSH_PATH); // the first push is stored, its answer lost
    proxy.enabled = true;
    await a.once();
    proxy.enabled = false;
    const second = await a.once();
    expect(second.code, second.output).toBe(0);
    expect(proxy.counts.dropped).toBe(1);
    expect(second.output).not.toMatch(/413|TC_BODY_TOO_LARGE|too many users/i);
    // 5 pushes, the first of them twice, plus the heartbeats.
    expect(proxy.counts.requests - pushesBefore).toBeGreaterThanOrEqual(6);
    for (let u = 1; u <= USERS; u++)
      expect(await userTotal(u), `user ${u}`).toEqual({
        u: String(BigInt(u) * 1_000_003n),
        d: String(BigInt(u) * 7n + 1n),
      });
    const nodes = (await (
      await fetch(`${collector.url}/api/v1/nodes/${a.node.id}`, {
        headers: { authorization: `Bearer ${collector.adminToken}` },
      })
    ).json()) as { traffic: { totalRx: string; totalTx: string } };
    expect(nodes.traffic).toMatchObject({ totalRx: '4000', totalTx: '5000' });
  }, 120_000);

  it('control: the same tick in one push of 23 users is refused by that collector', async () => {
    const b = await agentFor('unsplit', 100);
    for (let u = 101; u <= 100 + USERS; u++) stats.advance(String(u), 0n, 0n);
    expect((await b.once()).code).toBe(0);
    for (let u = 101; u <= 100 + USERS; u++) stats.advance(String(u), 5n, 5n);
    await b.fx.grow('eth0', 1n, 1n);
    const r = await b.once();
    expect(r.output).toMatch(/413/);
    expect(await userTotal(101)).toEqual({ u: '0', d: '0' });
  }, 120_000);
});
