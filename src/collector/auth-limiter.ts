/**
 * Counts failed authentications per client address in fixed one-minute windows; an address over the limit is
 * refused (429) before its token is even looked at, until its window ends. Memory is bounded: windows are dropped
 * when they expire, and at most maxAddresses are tracked (the oldest window is evicted first).
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 100_000,
  ) {}

  blocked(address: string): boolean {
    const w = this.windows.get(address);
    if (!w) return false;
    if (this.now() - w.start >= 60_000) {
      this.windows.delete(address);
      return false;
    }
    return w.failures >= this.perMinute;
  }

  fail(address: string): void {
    const t = this.now();
    const w = this.windows.get(address);
    if (w && t - w.start < 60_000) {
      w.failures++;
      return;
    }
    this.windows.delete(address);
    if (this.windows.size >= this.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(address, { start: t, failures: 1 });
  }
}
