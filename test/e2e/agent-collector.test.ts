/**
 * The real agent binary against the real collector binary, on a fixture /proc tree: after steady growth, a reset,
 * a reboot and a collector restart in the middle, GET /api/v1/nodes reports exactly the fixture's ground truth.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startAgent, type RunningAgent, writeNodeAgentConfig } from '../support/agent-binary.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';

let collector: CollectorProcess | null = null;
let agent: RunningAgent | null = null;
const leftovers: string[] = [];
afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await collector?.stop();
  for (const d of leftovers) rmSync(d, { recursive: true, force: true });
});

interface NodeView {
  id: number;
  online: boolean;
  traffic: { totalRx: string; totalTx: string; periodRx: string; periodTx: string };
  load: number[] | null;
  bootId: string | null;
}

async function nodes(c: CollectorProcess): Promise<NodeView[]> {
  const res = await request(`${c.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${c.adminToken}` } });
  expect(res.statusCode).toBe(200);
  const body = (await res.body.json()) as NodeView[] | { nodes: NodeView[] };
  return Array.isArray(body) ? body : body.nodes;
}

const logTails = () =>
  `agent log tail:\n${agent?.output().slice(-2500)}\ncollector log tail:\n${collector?.output().slice(-1500)}`;
const waitFor = (cond: () => Promise<boolean>, what: string) =>
  until(cond, what, { ms: 20_000, everyMs: 50, context: logTails });

describe('agent + collector end to end', () => {
  it('reports the fixture ground truth exactly through growth, a reset, a reboot and a collector restart', async () => {
    collector = await startCollector();
    const node = await collector.addNode({ name: 'e2e-node' });
    const fx = await ProcFixture.create({
      interfaces: { lo: { rx: 77n, tx: 77n }, eth0: { rx: 10_000n, tx: 20_000n }, docker0: { rx: 5n, tx: 5n } },
    });
    const dir = mkdtempSync(join(tmpdir(), 'e2e-agent-'));
    const cfg = writeNodeAgentConfig(dir, node, collector.url, fx.root, {
      heartbeatIntervalSec: 0.1,
      interfaces: { exclude: ['lo*', 'docker*'] },
    });
    agent = startAgent(['run', '-c', cfg]);
    await agent.waitFor('"event":"start"');

    let rx = 0n;
    let tx = 0n;
    const grow = async (r: bigint, t: bigint) => {
      await fx.grow('eth0', r, t);
      await fx.grow('docker0', 999n, 999n); // excluded: never counts
      rx += r;
      tx += t;
    };
    const reached = async () => {
      const n = (await nodes(collector!)).find((x) => x.id === node.id);
      return n?.traffic.totalRx === rx.toString() && n.traffic.totalTx === tx.toString();
    };

    for (let i = 0; i < 5; i++) await grow(1_000n + BigInt(i), 3_000n);
    await waitFor(reached, 'steady growth');

    // A reset on the same boot (driver reload): the new value counts.
    await fx.setInterfaces({ ...fx.snapshot.interfaces, eth0: { rx: 400n, tx: 600n } });
    rx += 400n;
    tx += 600n;
    await waitFor(reached, 'the reset');

    // The collector goes away for a while: the agent queues, then delivers everything once it is back.
    const port = collector.port;
    leftovers.push(collector.dir); // the restarted collector keeps using its database
    await collector.stop({ keepData: true });
    await grow(50_000n, 60_000n);
    await agent.waitFor('DELIVERY_FAILED');
    await grow(7n, 8n);
    collector = await startCollector({ db: collector.db, adminToken: collector.adminToken, port });
    await waitFor(reached, 'the backlog after the collector came back');

    // A reboot, as on a real machine: the agent stops (SIGTERM takes a last sample), the kernel comes back with a
    // new boot id and counters from zero, the agent starts again; everything since boot counts.
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const firstLife = agent.output();
    await fx.update({
      bootId: '00000000-0000-4000-8000-0000000000b2',
      btime: 1_700_100_000,
      interfaces: { lo: { rx: 1n, tx: 1n }, eth0: { rx: 2_500n, tx: 3_500n }, docker0: { rx: 0n, tx: 0n } },
    });
    rx += 2_500n;
    tx += 3_500n;
    agent = startAgent(['run', '-c', cfg]);
    await waitFor(reached, 'the reboot');

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const n = (await nodes(collector)).find((x) => x.id === node.id)!;
    expect(n.traffic.totalRx).toBe(rx.toString());
    expect(n.traffic.totalTx).toBe(tx.toString());
    expect(n.traffic.periodRx).toBe(rx.toString());
    expect(n.online).toBe(true);
    expect(n.load).toEqual([0.5, 0.4, 0.3]);
    expect(n.bootId).toBe('00000000-0000-4000-8000-0000000000b2');
    expect(agent.output()).toContain('reboot-detected');
    expect(firstLife).toContain('reset-detected');
    expect(firstLife + agent.output()).not.toContain(node.token);
  });
});
