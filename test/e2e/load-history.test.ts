/**
 * The real agent binary against the real collector binary: the load averages the agent reads from its fixture
 * /proc/loadavg become the node's load history (GET /api/v1/nodes/:id/load), each reading kept once, in order.
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

interface LoadAnswer {
  resolution: string;
  points: Array<{ at: number; load: number[]; samples?: number }>;
}

async function loadHistory(c: CollectorProcess, id: number, window: string): Promise<LoadAnswer> {
  const res = await request(`${c.url}/api/v1/nodes/${id}/load?window=${window}`, {
    headers: { authorization: `Bearer ${c.adminToken}` },
  });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as LoadAnswer;
}

describe('load history end to end', () => {
  it("keeps the agent's load readings as the node's history, raw and hourly", async () => {
    // One sample a second at most, so a short run shows several.
    collector = await startCollector({ config: { loadSampleMinGapSec: 1 } });
    const node = await collector.addNode({ name: 'load-node' });
    const fx = await ProcFixture.create({ load: [0.5, 0.4, 0.3] });
    const dir = mkdtempSync(join(tmpdir(), 'e2e-load-'));
    leftovers.push(dir, fx.root);
    const cfg = writeNodeAgentConfig(dir, node, collector.url, fx.root, { heartbeatIntervalSec: 0.2 });
    agent = startAgent(['run', '-c', cfg]);
    const context = () => `agent log tail:\n${agent?.output().slice(-2000)}`;
    const points = async () => (await loadHistory(collector as CollectorProcess, node.id, '1h')).points;
    await until(async () => (await points()).length >= 2, 'two load samples', { ms: 30_000, everyMs: 200, context });
    await fx.update({ load: [3.25, 2.5, 1.75] });
    await until(async () => (await points()).some((p) => p.load[0] === 3.25), 'the new load reading in the history', {
      ms: 30_000,
      everyMs: 200,
      context,
    });
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);

    const raw = await points();
    expect(raw.length).toBeGreaterThanOrEqual(3);
    // Samples at least the configured gap apart, ascending; the readings in the order the agent read them.
    for (let i = 1; i < raw.length; i++) expect(raw[i].at - raw[i - 1].at).toBeGreaterThanOrEqual(1000);
    const first = raw.findIndex((p) => p.load[0] === 3.25);
    expect(raw.slice(0, first).every((p) => p.load.join() === '0.5,0.4,0.3')).toBe(true);
    expect(raw.slice(first).every((p) => p.load.join() === '3.25,2.5,1.75')).toBe(true);
    // The same samples, summed into their hours.
    const hourly = await loadHistory(collector, node.id, '7d');
    expect(hourly.resolution).toBe('hour');
    expect(hourly.points.reduce((a, p) => a + (p.samples ?? 0), 0)).toBe(raw.length);
  });
});
