import { describe, expect, it } from 'vitest';
import { userDeltas, type ProxySample } from '../../../src/agent/accounting/user-deltas.js';

const idOf = (e: string) => (/^\d+$/.test(e) ? e : null);
const proxy = (uptimeSec: number, users: Record<string, [number | bigint, number | bigint]>): ProxySample => ({
  uptimeSec,
  users: new Map(Object.entries(users).map(([k, [up, down]]) => [k, { up: BigInt(up), down: BigInt(down) }])),
});

describe('userDeltas', () => {
  it('the first sample is a baseline: nothing counts', () => {
    const r = userDeltas(null, proxy(100, { '1': [500, 900] }), 0, idOf, 42);
    expect(r.users).toEqual({});
    expect(r.events).toEqual([{ type: 'proxy-baseline' }]);
    expect(r.memo).toEqual({ uptimeSec: 100, sampledAt: 42, users: { '1': { up: '500', down: '900' } } });
  });

  it('counts per-user growth; a user new since the last sample counts from zero', () => {
    const first = userDeltas(null, proxy(100, { '1': [500, 900] }), 0, idOf);
    const r = userDeltas(first.memo, proxy(160, { '1': [600, 1_900], '2': [5, 7] }), 60, idOf);
    expect(r.users).toEqual({ '1': ['100', '1000'], '2': ['5', '7'] });
    expect(r.events).toEqual([]);
  });

  it('a core restart (uptime went back) counts every counter from zero', () => {
    const first = userDeltas(null, proxy(1_000, { '1': [500, 900] }), 0, idOf);
    const r = userDeltas(first.memo, proxy(5, { '1': [40, 60] }), 60, idOf);
    expect(r.events).toContainEqual({ type: 'proxy-restart' });
    expect(r.users).toEqual({ '1': ['40', '60'] });
  });

  it('one user counter that went down alone is a reset of that user; unmatched emails are reported, not attributed', () => {
    const first = userDeltas(null, proxy(100, { '1': [500, 900], '2': [10, 10] }), 0, idOf);
    const r = userDeltas(first.memo, proxy(160, { '1': [3, 4], '2': [20, 10], 'bob@x': [9, 9] }), 60, idOf);
    expect(r.events).toEqual([{ type: 'user-reset', email: '1' }, { type: 'user-unmatched', email: 'bob@x' }]);
    expect(r.users).toEqual({ '1': ['3', '4'], '2': ['10', '0'] });
  });
});
