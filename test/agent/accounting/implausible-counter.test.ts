/**
 * Regression (found in review): a driver underflow printing a counter near 2^64 used to be counted as an increase
 * (flagged suspicious). The collector cannot sum such a delta (its totals stop at 2^63-1) and refuses the whole
 * heartbeat, so every later record of the node stayed out of it. A delta of 2^62 bytes or more is now a broken
 * counter: nothing counted, logged, and the new value becomes the baseline, so the traffic after it counts again.
 */
import { describe, expect, it } from 'vitest';
import { accountTick, baselineState } from '../../../src/agent/accounting/account-tick.js';
import { counterDelta, IMPLAUSIBLE_DELTA } from '../../../src/agent/accounting/counter-delta.js';
import { EPOCH, T0, sample, settings } from './values.js';

const NEAR_2_64 = (1n << 64n) - 2048n;

describe('a broken counter', () => {
  it('counts nothing for a jump of 2^62 bytes or more, in any rule', () => {
    const ctx = { sameBoot: true, bits: 64 as const, elapsedSec: 60, maxBytesPerSec: 1_250_000_000n };
    expect(counterDelta(10_000_000n, NEAR_2_64, ctx)).toEqual({ delta: 0n, kind: 'implausible', suspicious: true });
    expect(counterDelta(undefined, NEAR_2_64, ctx).delta).toBe(0n);
    expect(counterDelta(5n, NEAR_2_64, { ...ctx, sameBoot: false }).delta).toBe(0n);
    // Just under the bound it is still an (absurd but possible-in-principle) increase: counted and flagged.
    expect(counterDelta(0n, IMPLAUSIBLE_DELTA - 1n, ctx)).toMatchObject({
      delta: IMPLAUSIBLE_DELTA - 1n,
      kind: 'increase',
      suspicious: true,
    });
  });

  it('takes the broken value as the baseline, so the traffic after it counts again', () => {
    const s = settings();
    let state = baselineState(sample(T0, { eth0: [10_000_000, 5_000] }), EPOCH, s);
    const broken = accountTick(state, sample(T0 + 60_000, { eth0: [NEAR_2_64, 6_000] }), s);
    expect(broken.record).toMatchObject({ rx: '0', tx: '1000', events: ['implausible:eth0'] });
    expect(broken.events).toContainEqual({ type: 'implausible', iface: 'eth0', direction: 'rx', delta: '0' });
    state = broken.state;
    const after = accountTick(state, sample(T0 + 120_000, { eth0: [NEAR_2_64 + 1_500n, 7_000] }), s);
    expect(after.record).toMatchObject({ rx: '1500', tx: '1000' });
    expect(after.state.totals).toEqual({ rx: '1500', tx: '2000' });
  });
});
