/** The page's normalisers fed with what the collector's own view functions produce, through JSON. */
import { describe, expect, it } from 'vitest';
import { nodeView } from '../../src/collector/views.js';
import { validateConfig } from '../../src/collector/config.js';
import type { NodeStats } from '../../src/collector/store/store.js';
import { toNodeView, toSeriesView, toUserRank, toUserTraffic } from '../../src/dashboard/web/model.js';
import { toDaily } from '../../src/dashboard/web/node-chart.js';

const wire = <T>(v: T): unknown => JSON.parse(JSON.stringify(v));

describe('toNodeView', () => {
  it("reads the collector's node view: string byte counts beyond 2^53, load, online, last seen", () => {
    const now = Date.UTC(2025, 10, 23, 12);
    const stats: NodeStats = {
      id: 7,
      name: 'tokyo-1',
      rate: '1',
      resetDay: 1,
      timezone: 'UTC',
      createdAt: now - 1000,
      totalRx: (1n << 60n) + 1n,
      totalTx: 5n,
      periodRx: 3n,
      periodTx: 4n,
      periodStart: Date.UTC(2025, 10, 1),
      periodEnd: Date.UTC(2025, 11, 1),
      load: [0.5, 0.25, 0.125],
      uptimeSec: 3600,
      bootId: null,
      host: { hostname: 'h1' },
      agentVersion: '1.2.3',
      lastEpoch: 'e1',
      lastSeen: now - 5000,
      // 1.5 MB received and 250 kB sent in the last 10 s sample: 1.2 Mbit/s and 200 kbit/s.
      lastRecord: { from: now - 15_000, to: now - 5000, rx: 1_500_000n, tx: 250_000n, receivedAt: now - 5000 },
    };
    const v = toNodeView(wire(nodeView(stats, now, validateConfig({}))));
    expect(v).toEqual({
      id: 7,
      name: 'tokyo-1',
      online: true,
      lastSeen: now - 5000,
      load: [0.5, 0.25, 0.125],
      uptimeSec: 3600,
      rate: { rx: 1_200_000, tx: 200_000 },
      period: { rx: 3n, tx: 4n },
      total: { rx: (1n << 60n) + 1n, tx: 5n },
      periodStart: Date.UTC(2025, 10, 1),
      periodEnd: Date.UTC(2025, 11, 1),
      agentVersion: '1.2.3',
      hostname: 'h1',
    });
  });

  it('a node that never reported: offline, no load, zero bytes', () => {
    const v = toNodeView({
      id: 2,
      name: 'new',
      online: false,
      lastSeen: null,
      load: null,
      uptimeSec: null,
      traffic: {},
    });
    expect(v.online).toBe(false);
    expect(v.lastSeen).toBeNull();
    expect(v.load).toBeNull();
    expect(v.rate).toBeNull();
    expect(v.total).toEqual({ rx: 0n, tx: 0n });
  });
});

describe('series, users', () => {
  it('series points become seconds and numbers; hourly points sum into local days', () => {
    const day0 = new Date(2025, 10, 20).getTime();
    const s = toSeriesView({
      step: 'hour',
      points: [
        { at: day0 + 3_600_000, rx: '10', tx: '1' },
        { at: day0 + 7_200_000, rx: '20', tx: '2' },
        { at: day0 + 86_400_000, rx: '5', tx: '0' },
      ],
    });
    expect(s.at[0]).toBe((day0 + 3_600_000) / 1000);
    expect(s.bucketMs).toBe(3_600_000);
    const d = toDaily(s);
    expect(d).toEqual({ at: [day0 / 1000, (day0 + 86_400_000) / 1000], rx: [30, 5], tx: [3, 0], bucketMs: 86_400_000 });
    expect(toSeriesView({ step: 'day', points: [] }).bucketMs).toBe(86_400_000);
  });

  it('user traffic: per node largest first, names from the fleet, a null node for pre-node records, totals', () => {
    const v = toUserTraffic(
      42,
      {
        userId: 42,
        nodes: [
          { nodeId: 1, u: '1', d: '2', total: '3' },
          { nodeId: null, u: '0', d: '1', total: '1' },
          { nodeId: 2, u: '10', d: '20', total: '30' },
        ],
        total: { u: '11', d: '23', total: '34' },
      },
      new Map([
        [1, 'a'],
        [2, 'b'],
      ]),
    );
    expect(v.nodes.map((n) => [n.name, n.total])).toEqual([
      ['b', 30n],
      ['a', 3n],
      ['(before per-node records)', 1n],
    ]);
    expect([v.up, v.down, v.total]).toEqual([11n, 23n, 34n]);
    expect(toUserRank({ userId: 9, u: '18446744073709551615', d: '1', total: '18446744073709551616' }).total).toBe(
      1n << 64n,
    );
  });
});
