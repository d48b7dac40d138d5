/** The collector's /metrics, from the real binary, read with a real Prometheus text parser. */
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { parsePrometheus, sampleValue } from '../support/prometheus-text.js';

let collector: CollectorProcess | null = null;
afterAll(async () => {
  await collector?.stop();
});

const T0 = Date.now() - 60_000;

async function heartbeat(url: string, token: string, seqs: number[]): Promise<{ acked: number[]; duplicates: number }> {
  // A record's times are fixed by its seq, so a resend carries the same contents (a different one is a conflict).
  const now = T0;
  const res = await request(`${url}/api/v1/agent/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      epoch: '0123456789abcdef',
      records: seqs.map((seq) => ({ seq, from: now + seq * 1000 - 1000, to: now + seq * 1000, rx: '100', tx: '200' })),
      load: [0.1, 0.2, 0.3],
      uptimeSec: 100,
      bootId: null,
      agentVersion: 'test',
      sentAt: Date.now(),
    }),
  });
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as { acked: number[]; duplicates: number };
}

describe('collector metrics endpoint', () => {
  it('counts requests, stored records, duplicates dropped and nodes online', async () => {
    collector = await startCollector();
    const a = await collector.addNode({ name: 'metrics-a' });
    await collector.addNode({ name: 'metrics-b' }); // never reports: not online
    expect((await heartbeat(collector.url, a.token, [1, 2, 3])).duplicates).toBe(0);
    expect((await heartbeat(collector.url, a.token, [2, 3, 4])).duplicates).toBe(2);

    const res = await request(`${collector.url}/metrics`);
    expect(res.statusCode).toBe(200);
    const families = parsePrometheus(await res.body.text());
    expect(sampleValue(families, 'traffic_collector_ingest_records_total')).toBe(4);
    expect(sampleValue(families, 'traffic_collector_duplicate_records_total')).toBe(2);
    expect(sampleValue(families, 'traffic_collector_nodes_online')).toBe(1);
    const requests = families.find((f) => f.name === 'traffic_collector_http_requests_total');
    expect(requests?.type).toBe('COUNTER');
    const total = requests!.metrics.reduce((s, m) => s + Number(m.value), 0);
    expect(total).toBeGreaterThanOrEqual(2);
    // Node.js process metrics come along (prom-client's defaults, under the collector's prefix).
    expect(families.some((f) => f.name === 'traffic_collector_process_resident_memory_bytes')).toBe(true);
  });
});
