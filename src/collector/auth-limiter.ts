/**
 * Counts failed authentications per client address in fixed one-minute windows. It only ever concerns failures:
 * credentials are checked first, and valid ones are served whatever the count (checking a token against its hash is
 * cheap, and behind a proxy or a NAT one stranger must not lock out every node and the admin). A failure from an
 * address over the limit is answered 429 with Retry-After instead of 401/422, and is not logged one by one.
 * Memory is bounded: windows are dropped when they expire, and at most maxAddresses are tracked (the oldest window is
 * evicted first).
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 100_000,
  ) {}

  /**
   * Counts one failure. Returns 0 while the address is within the limit (answer 401/422 as usual), else the seconds
   * until its window ends (answer 429 with that Retry-After); `crossed` is true for the first failure over the limit.
   */
  fail(address: string): { retryAfterSec: number; crossed: boolean } {
    const t = this.now();
    let w = this.windows.get(address);
    if (w && t - w.start >= 60_000) {
      this.windows.delete(address);
      w = undefined;
    }
    if (!w) {
      if (this.windows.size >= this.maxAddresses) {
        const oldest = this.windows.keys().next().value;
        if (oldest !== undefined) this.windows.delete(oldest);
      }
      w = { start: t, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures++;
    if (w.failures <= this.perMinute) return { retryAfterSec: 0, crossed: false };
    return {
      retryAfterSec: Math.max(1, Math.ceil((60_000 - (t - w.start)) / 1000)),
      crossed: w.failures === this.perMinute + 1,
    };
  }
}
