import { describe, expect, it } from 'vitest';
import { userDeltas, type ProxySample } from '../../../src/agent/accounting/user-deltas.js';

const idOf = (e: string) => (/^\d+$/.test(e) ? e : null);
/** A sample taken `sec` seconds after the first, by the wall clock and by the host's uptime (5000 s at the first). */
const at = (sec: number, hostRebooted = false) => ({ at: sec * 1000, hostUptimeSec: 5_000 + sec, hostRebooted });
const proxy = (uptimeSec: number, users: Record<string, [number | bigint, number | bigint]>): ProxySample => ({
  uptimeSec,
  users: new Map(Object.entries(users).map(([k, [up, down]]) => [k, { up: BigInt(up), down: BigInt(down) }])),
});

describe('userDeltas', () => {
  it('the first sample is a baseline: nothing counts', () => {
    const r = userDeltas(
      null,
      proxy(100, { '1': [500, 900] }),
      { at: 42, hostUptimeSec: 7, hostRebooted: false },
      idOf,
    );
    expect(r.users).toEqual({});
    expect(r.events).toEqual([{ type: 'proxy-baseline' }]);
    expect(r.memo).toEqual({
      uptimeSec: 100,
      sampledAt: 42,
      hostUptimeSec: 7,
      users: { '1': { up: '500', down: '900' } },
    });
  });

  it('counts per-user growth; a user new since the last sample counts from zero', () => {
    const first = userDeltas(null, proxy(100, { '1': [500, 900] }), at(0), idOf);
    const r = userDeltas(first.memo, proxy(160, { '1': [600, 1_900], '2': [5, 7] }), at(60), idOf);
    expect(r.users).toEqual({ '1': ['100', '1000'], '2': ['5', '7'] });
    expect(r.events).toEqual([]);
  });

  it('a core restart (uptime went back) counts every counter from zero', () => {
    const first = userDeltas(null, proxy(1_000, { '1': [500, 900] }), at(0), idOf);
    const r = userDeltas(first.memo, proxy(5, { '1': [40, 60] }), at(60), idOf);
    expect(r.events).toContainEqual({ type: 'proxy-restart' });
    expect(r.users).toEqual({ '1': ['40', '60'] });
  });

  it('a core that restarted long ago (its uptime grew past the old one, but less than the host clock says) restarted', () => {
    const first = userDeltas(null, proxy(100, { '1': [500, 900] }), at(0), idOf);
    const r = userDeltas(first.memo, proxy(400, { '1': [700, 950] }), at(1_000), idOf);
    expect(r.events).toContainEqual({ type: 'proxy-restart' });
    expect(r.users).toEqual({ '1': ['700', '950'] });
  });

  it('across a host reboot the wall clock measures the elapsed time: a core that restarted with it is seen, one that ran on is not', () => {
    const first = userDeltas(null, proxy(1_000, { '1': [500, 900] }), at(0), idOf);
    const restartedWithHost = userDeltas(
      first.memo,
      proxy(40, { '1': [600, 1_000] }),
      { at: 100_000, hostUptimeSec: 50, hostRebooted: true },
      idOf,
    );
    expect(restartedWithHost.events).toContainEqual({ type: 'proxy-restart' });
    expect(restartedWithHost.users).toEqual({ '1': ['600', '1000'] });
    const ranElsewhere = userDeltas(
      first.memo,
      proxy(1_100, { '1': [600, 1_000] }),
      { at: 100_000, hostUptimeSec: 50, hostRebooted: true },
      idOf,
    );
    expect(ranElsewhere.events).not.toContainEqual({ type: 'proxy-restart' });
    expect(ranElsewhere.users).toEqual({ '1': ['100', '100'] });
  });

  it('a wall-clock step between samples is no restart: elapsed time comes from the host uptime', () => {
    const first = userDeltas(null, proxy(1_000, { '1': [500, 900] }), at(0), idOf);
    // 60 s by the host's and the core's uptime, 90 s by a wall clock stepped forward by 30 s.
    const r = userDeltas(
      first.memo,
      proxy(1_060, { '1': [600, 1_000] }),
      { at: 90_000, hostUptimeSec: 5_060, hostRebooted: false },
      idOf,
    );
    expect(r.events).not.toContainEqual({ type: 'proxy-restart' });
    expect(r.users).toEqual({ '1': ['100', '100'] });
  });

  it('one user counter that went down alone is a reset of that user; unmatched emails are reported, not attributed', () => {
    const first = userDeltas(null, proxy(100, { '1': [500, 900], '2': [10, 10] }), at(0), idOf);
    const r = userDeltas(first.memo, proxy(160, { '1': [3, 4], '2': [20, 10], 'bob@x': [9, 9] }), at(60), idOf);
    expect(r.events).toEqual([
      { type: 'user-reset', email: '1' },
      { type: 'user-unmatched', email: 'bob@x' },
    ]);
    expect(r.users).toEqual({ '1': ['3', '4'], '2': ['10', '0'] });
  });
});
