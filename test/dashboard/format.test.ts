import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBitRate,
  formatBytes,
  formatBytesCompact,
  formatDuration,
  formatLoad,
  plural,
  toBig,
} from '../../src/dashboard/web/format.js';
import { logRange, logSplits } from '../../src/dashboard/web/node-chart.js';

describe('formatBytes (binary units from BigInt)', () => {
  it.each([
    [0n, '0 B'],
    [1023n, '1023 B'],
    [1024n, '1.00 KiB'],
    [1536n, '1.50 KiB'],
    [10n * 1024n + 512n, '10.5 KiB'],
    [1048575n, '1.00 MiB'],
    [1023n * 1024n + 400n, '1023 KiB'],
    [1n << 20n, '1.00 MiB'],
    [5n << 30n, '5.00 GiB'],
    [((1n << 40n) * 3n) / 2n, '1.50 TiB'],
    [(1n << 53n) + 1n, '8.00 PiB'],
    [(1n << 64n) - 1n, '16.0 EiB'],
    [(1n << 63n) - 1n, '8.00 EiB'],
  ])('%s -> %s', (n, text) => {
    expect(formatBytes(n)).toBe(text);
  });

  it('reads decimal strings exactly beyond 2^53 and refuses what is not one', () => {
    expect(toBig('9007199254740993')).toBe(9007199254740993n);
    expect(toBig('18446744073709551615')).toBe((1n << 64n) - 1n);
    for (const bad of ['-1', '1.5', '', null, undefined, '01', 1.5, -3]) expect(toBig(bad)).toBe(0n);
    expect(toBig(42)).toBe(42n);
  });
});

describe('other formats', () => {
  it('axis labels without trailing zeros', () => {
    expect(formatBytesCompact(1.5 * 2 ** 40)).toBe('1.5 TiB');
    expect(formatBytesCompact(2 ** 40)).toBe('1 TiB');
    expect(formatBytesCompact(512 * 2 ** 30)).toBe('512 GiB');
    expect(formatBytesCompact(10 * 2 ** 20)).toBe('10 MiB');
    expect(formatBytesCompact(0)).toBe('0 B');
  });

  it('load, uptime and last seen', () => {
    expect(formatLoad([1.5, 0.25, 0])).toBe('1.50 / 0.25 / 0.00');
    expect(formatLoad(null)).toBe('–');
    expect(formatDuration(3 * 86_400 + 4 * 3600 + 5 * 60 + 9)).toBe('3d 4h 5m');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(null)).toBe('–');
    const now = 1_700_000_000_000;
    expect(formatAgo(now - 4_000, now)).toBe('4s ago');
    expect(formatAgo(now - 90_000, now)).toBe('1m ago');
    expect(formatAgo(now - 3 * 86_400_000, now)).toBe('3d ago');
    expect(formatAgo(now + 5_000, now)).toBe('0s ago');
    expect(formatAgo(null, now)).toBe('never');
  });
});

describe('rates, counts, the log scale', () => {
  it.each([
    [0, '0 bit/s'],
    [999, '999 bit/s'],
    [1000, '1.00 kbit/s'],
    [12_345_678, '12.3 Mbit/s'],
    [999_600, '1.00 Mbit/s'],
    [123_456_789, '123 Mbit/s'],
    [10e9, '10.0 Gbit/s'],
    [null, '–'],
    [-5, '–'],
    [Number.NaN, '–'],
  ])('bit rate %s -> %s', (bps, text) => {
    expect(formatBitRate(bps)).toBe(text);
  });

  it('plural unless exactly one', () => {
    expect(plural(1, 'node')).toBe('1 node');
    expect(plural(0, 'node')).toBe('0 nodes');
    expect(plural(2, 'attempt')).toBe('2 attempts');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });

  it('the log scale spans the smallest and the largest bar in powers of two, with at most 6 ticks', () => {
    // 100 KiB of TX beside 1 GiB of RX: both inside the range.
    const [lo, hi] = logRange([2 ** 30, 100 * 1024, 0]);
    expect(lo).toBe(2 ** 12); // 16 times below the smallest bar, rounded down to a power of two
    expect(hi).toBe(2 ** 31);
    expect(logRange([])).toEqual([1, 1024]);
    expect(logRange([4096])).toEqual([256, 8192]);
    const ticks = logSplits(lo, hi);
    expect(ticks.length).toBeLessThanOrEqual(6);
    expect(ticks).toContain(2 ** 20);
    for (const t of ticks) expect(t >= lo && t <= hi).toBe(true);
  });
});
