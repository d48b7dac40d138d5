import { describe, expect, it } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatBytesCompact,
  formatDuration,
  formatLoad,
  toBig,
} from '../../src/dashboard/web/format.js';

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
