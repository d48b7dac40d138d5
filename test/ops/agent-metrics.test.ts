/** The agent's /metrics endpoint, scraped from the real binary and read with a real Prometheus text parser. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startAgent, type RunningAgent } from '../support/agent-binary.js';
import { freePort } from '../support/free-port.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';

let agent: RunningAgent | null = null;
afterEach(async () => {
  agent?.child.kill('SIGKILL');
  await agent?.exited;
  agent = null;
});

describe('agent metrics endpoint', () => {
  it('serves interface counters, outbox depth and delivery results in Prometheus text format', async () => {
    const proc = await ProcFixture.create({ interfaces: { lo: { rx: 5n, tx: 5n }, eth0: { rx: 1000n, tx: 2000n } } });
    const dir = mkdtempSync(join(tmpdir(), 'agent-metrics-'));
    const [metricsPort, deadPort] = [await freePort(), await freePort()];
    const cfg = join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { id: 1, token: 'metrics-test-token' },
        collector: { url: `http://127.0.0.1:${deadPort}`, timeoutMs: 500 },
        stateDir: join(dir, 'state'),
        procRoot: proc.root,
        heartbeatIntervalSec: 0.1,
        metrics: { listen: `127.0.0.1:${metricsPort}` },
      }),
    );
    agent = startAgent(['run', '-c', cfg]);
    await agent.waitFor('"event":"metrics"');
    await agent.waitFor('"event":"start"');
    await proc.grow('eth0', 500n, 600n);
    await agent.waitFor('DELIVERY_FAILED');

    let families = parsePrometheus('');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const res = await request(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      families = parsePrometheus(await res.body.text());
      if (sampleValue(families, 'traffic_agent_network_receive_bytes_total', { device: 'eth0' }) === 1500) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sampleValue(families, 'traffic_agent_network_receive_bytes_total', { device: 'eth0' })).toBe(1500);
    expect(sampleValue(families, 'traffic_agent_network_transmit_bytes_total', { device: 'eth0' })).toBe(2600);
    expect(sampleValue(families, 'traffic_agent_counted_bytes_total', { direction: 'rx' })).toBe(500);
    expect(sampleValue(families, 'traffic_agent_counted_bytes_total', { direction: 'tx' })).toBe(600);
    expect(sampleValue(families, 'traffic_agent_outbox_records')).toBeGreaterThanOrEqual(1);
    expect(
      sampleValue(families, 'traffic_agent_deliveries_total', { sink: 'collector', result: 'failed' }),
    ).toBeGreaterThanOrEqual(1);
    expect(sampleValue(families, 'traffic_agent_state_writable')).toBe(1);
    const types = Object.fromEntries(families.map((f) => [f.name, f.type]));
    expect(types.traffic_agent_network_receive_bytes_total).toBe('COUNTER');
    expect(types.traffic_agent_outbox_records).toBe('GAUGE');

    const notFound = await request(`http://127.0.0.1:${metricsPort}/other`);
    expect(notFound.statusCode).toBe(404);
    await notFound.body.dump();
    expect(agent.output()).not.toContain('metrics-test-token');
  });
});
