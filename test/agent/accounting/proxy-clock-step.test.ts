/**
 * Regression (found in review): a forward step of the wall clock (chrony makestep, VM restore, suspend) between two
 * samples used to make the accounting call the proxy core "restarted" and count every user's whole counter again.
 * Elapsed time for the restart check now comes from the host's monotonic uptime.
 */
import { describe, expect, it } from 'vitest';
import { accountTick, baselineState } from '../../../src/agent/accounting/account-tick.js';
import type { ProxySample } from '../../../src/agent/accounting/user-deltas.js';
import { EPOCH, T0, sample, settings } from './values.js';

const proxy = (uptimeSec: number, users: Record<string, [bigint, bigint]>): ProxySample => ({
  uptimeSec,
  users: new Map(Object.entries(users).map(([e, [up, down]]) => [e, { up, down }])),
});

describe('per-user deltas across a wall-clock step', () => {
  it('a 30 s forward clock step is not a proxy restart and does not count the users again', () => {
    const s = settings();
    const GB = 1_000_000_000n;
    let state = baselineState(
      sample(T0, { eth0: [0, 0] }, { uptimeSec: 5000, proxy: proxy(1000, { '7': [5n * GB, 50n * GB] }) }),
      EPOCH,
      s,
    );
    // 60 s later by every monotonic clock (host uptime and the core's uptime both +60), but the wall clock was
    // stepped forward by 30 s in between (chrony makestep): sample.at is T0 + 90 s.
    const r = accountTick(
      state,
      sample(
        T0 + 90_000,
        { eth0: [0, 0] },
        { uptimeSec: 5060, proxy: proxy(1060, { '7': [5n * GB + 1000n, 50n * GB + 2000n] }) },
      ),
      s,
    );
    state = r.state;
    expect(r.events).not.toContainEqual({ type: 'proxy-restart' });
    expect(r.record?.users).toEqual({ '7': ['1000', '2000'] });
  });
});
