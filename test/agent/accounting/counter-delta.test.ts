import { describe, expect, it } from 'vitest';
import { counterDelta, maxBytesIn, type DeltaContext } from '../../../src/agent/accounting/counter-delta.js';

const TWO_32 = 1n << 32n;
const GIB4 = TWO_32;
const ctx = (over: Partial<DeltaContext> = {}): DeltaContext => ({
  sameBoot: true,
  bits: 64,
  elapsedSec: 60,
  maxBytesPerSec: 1_250_000_000n,
  ...over,
});

describe('counterDelta', () => {
  it('counts the difference of a growing counter', () => {
    expect(counterDelta(1_000n, 351_000n, ctx())).toEqual({ delta: 350_000n, kind: 'increase', suspicious: false });
    expect(counterDelta(7n, 7n, ctx())).toEqual({ delta: 0n, kind: 'increase', suspicious: false });
  });

  it('counts a counter it never saw from zero', () => {
    expect(counterDelta(undefined, 5_000n, ctx())).toEqual({ delta: 5_000n, kind: 'new', suspicious: false });
  });

  it('after a reboot counts everything since boot, even when the counter is higher than before', () => {
    expect(counterDelta(9_000n, 500n, ctx({ sameBoot: false }))).toEqual({
      delta: 500n,
      kind: 'reboot',
      suspicious: false,
    });
    expect(counterDelta(100n, 10_000n, ctx({ sameBoot: false }))).toEqual({
      delta: 10_000n,
      kind: 'reboot',
      suspicious: false,
    });
  });

  it('a decrease on the same boot with 64-bit counters is a reset: the new value counts', () => {
    expect(counterDelta(5_000_000_000n, 1_000n, ctx())).toEqual({ delta: 1_000n, kind: 'reset', suspicious: false });
  });

  it('a plausible 32-bit wrap counts the wrapped difference', () => {
    // 1000 bytes before the top, 500 after it: 1500 bytes in 10 s.
    expect(counterDelta(TWO_32 - 1_000n, 500n, ctx({ bits: 32, elapsedSec: 10 }))).toEqual({
      delta: 1_500n,
      kind: 'wrap',
      suspicious: false,
    });
  });

  it('the same drop with 64-bit counters is a reset, never a +4 GiB wrap', () => {
    const d = counterDelta(TWO_32 - 1_000n, 500n, ctx({ bits: 64, elapsedSec: 10 }));
    expect(d).toEqual({ delta: 500n, kind: 'reset', suspicious: false });
    // and a drop from far below the top: a naive wrap would book almost 4 GiB
    const far = counterDelta(1_000_000n, 10n, ctx({ bits: 64, elapsedSec: 3600 }));
    expect(far.kind).toBe('reset');
    expect(far.delta).toBe(10n);
    expect(far.delta).toBeLessThan(GIB4);
  });

  it('on 32-bit counters, a drop whose wrapped difference is implausible for the elapsed time is a reset', () => {
    // 100 Mbit/s = 12.5 MB/s; 1 s elapsed (+1 s slack) allows 25 MB; the "wrap" would be ~3.3 GB.
    const d = counterDelta(1_000_000_000n, 1_000n, ctx({ bits: 32, elapsedSec: 1, maxBytesPerSec: 12_500_000n }));
    expect(d).toEqual({ delta: 1_000n, kind: 'reset', suspicious: false });
    // the same drop after enough time for 3.3 GB at that rate would be a wrap
    const later = counterDelta(1_000_000_000n, 1_000n, ctx({ bits: 32, elapsedSec: 400, maxBytesPerSec: 12_500_000n }));
    expect(later).toEqual({ delta: TWO_32 - 1_000_000_000n + 1_000n, kind: 'wrap', suspicious: false });
  });

  it('on 32-bit counters, an old value of 2^32 or more cannot have wrapped: a reset', () => {
    const d = counterDelta(TWO_32 + 5n, 10n, ctx({ bits: 32, elapsedSec: 1e9 }));
    expect(d).toEqual({ delta: 10n, kind: 'reset', suspicious: false });
    expect(counterDelta(TWO_32, 10n, ctx({ bits: 32, elapsedSec: 1e9 })).kind).toBe('reset');
  });

  it('an increase beyond the maximum rate is still counted, and flagged', () => {
    const limit = maxBytesIn(ctx({ elapsedSec: 1 })); // 1 s + 1 s slack at 1.25 GB/s
    expect(limit).toBe(2_500_000_000n);
    expect(counterDelta(0n, limit, ctx({ elapsedSec: 1 }))).toEqual({
      delta: limit,
      kind: 'increase',
      suspicious: false,
    });
    expect(counterDelta(0n, limit + 1n, ctx({ elapsedSec: 1 }))).toEqual({
      delta: limit + 1n,
      kind: 'increase',
      suspicious: true,
    });
  });

  it('keeps counters beyond 2^53 exact', () => {
    const prev = (1n << 53n) + 1n; // 9007199254740993: a double would round it
    expect(counterDelta(prev, prev + 12_345n, ctx()).delta).toBe(12_345n);
    const top = (1n << 64n) - 1n;
    expect(counterDelta(top - 3n, top, ctx()).delta).toBe(3n);
    const big = (1n << 61n) + 7n; // beyond 2^53, below the 2^62 bound of a broken counter
    expect(counterDelta(undefined, big, ctx()).delta).toBe(big);
  });

  it('allows one second of slack and rounds the elapsed time up to whole ms', () => {
    expect(maxBytesIn(ctx({ elapsedSec: 0, maxBytesPerSec: 1000n }))).toBe(1000n);
    expect(maxBytesIn(ctx({ elapsedSec: 0.0005, maxBytesPerSec: 1000n }))).toBe(1001n);
    expect(maxBytesIn(ctx({ elapsedSec: -5, maxBytesPerSec: 1000n }))).toBe(1000n);
  });
});
