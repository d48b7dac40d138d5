/**
 * The rule for one monotonic counter between two samples. Pure: everything it needs is passed in.
 *
 * - same boot, counter went up        -> the difference ("increase"); beyond the maximum rate it is still counted
 *                                        but flagged "suspicious".
 * - new boot                          -> everything since boot counts ("reboot").
 * - same boot, counter went down      -> a 32-bit wrap only where counters are 32 bits wide, the old value was below
 *                                        2^32 and the wrapped difference fits the elapsed time under the maximum
 *                                        rate ("wrap"); otherwise a reset (driver reload, PPPoE reconnect): the new
 *                                        value counts ("reset"). On 64-bit counters a decrease is never a wrap: that
 *                                        guess is where other tools book a phantom +4 GiB.
 * - counter not known before          -> it appeared while we ran and counts from zero ("new").
 * - any delta of 2^62 bytes or more     -> no link carries that in one interval (117 years at 10 Tbit/s): a broken
 *                                        counter (a driver underflow prints values near 2^64). It counts nothing
 *                                        ("implausible"), is logged, and the new value becomes the baseline; counted,
 *                                        it would exceed what any store can sum and block the node's later records.
 */
export type CounterBits = 32 | 64;
export type DeltaKind = 'increase' | 'reboot' | 'reset' | 'wrap' | 'new' | 'implausible';

export interface DeltaContext {
  sameBoot: boolean;
  bits: CounterBits;
  /** Seconds between the two samples (0 or more). */
  elapsedSec: number;
  maxBytesPerSec: bigint;
}

export interface CounterDelta {
  delta: bigint;
  kind: DeltaKind;
  suspicious: boolean;
}

const TWO_32 = 1n << 32n;
export const IMPLAUSIBLE_DELTA = 1n << 62n;

export function maxBytesIn(ctx: DeltaContext): bigint {
  // Round the elapsed time up to whole milliseconds, and allow one second of slack for sampling jitter.
  const ms = BigInt(Math.ceil(Math.max(0, ctx.elapsedSec) * 1000)) + 1000n;
  return (ctx.maxBytesPerSec * ms) / 1000n;
}

export function counterDelta(prev: bigint | undefined, cur: bigint, ctx: DeltaContext): CounterDelta {
  const d = rawDelta(prev, cur, ctx);
  return d.delta >= IMPLAUSIBLE_DELTA ? { delta: 0n, kind: 'implausible', suspicious: true } : d;
}

function rawDelta(prev: bigint | undefined, cur: bigint, ctx: DeltaContext): CounterDelta {
  if (prev === undefined) return { delta: cur, kind: 'new', suspicious: false };
  if (!ctx.sameBoot) return { delta: cur, kind: 'reboot', suspicious: false };
  const limit = maxBytesIn(ctx);
  if (cur >= prev) {
    const delta = cur - prev;
    return { delta, kind: 'increase', suspicious: delta > limit };
  }
  if (ctx.bits === 32 && prev < TWO_32 && cur < TWO_32) {
    const wrapped = TWO_32 - prev + cur;
    if (wrapped <= limit) return { delta: wrapped, kind: 'wrap', suspicious: false };
  }
  return { delta: cur, kind: 'reset', suspicious: false };
}
