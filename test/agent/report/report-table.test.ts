import { describe, expect, it } from 'vitest';
import { rollUp, startRollups } from '../../../src/agent/accounting/rollups.js';
import { buildReport } from '../../../src/agent/report/report-rows.js';
import { formatBytes, formatRate, reportTable } from '../../../src/agent/report/report-table.js';

const HOUR = 3_600_000;
/** 2025-03-10T12:00:00Z */
const T0 = Date.UTC(2025, 2, 10, 12);

describe('units', () => {
  it('bytes in IEC units with two decimals, exact on 64-bit counters', () => {
    expect(formatBytes('0')).toBe('0 B');
    expect(formatBytes('1023')).toBe('1023 B');
    expect(formatBytes('1024')).toBe('1.00 KiB');
    expect(formatBytes(String(170_652_045))).toBe('162.75 MiB'); // vnstat printed this for the same bytes
    expect(formatBytes(String(720_085))).toBe('703.21 KiB');
    expect(formatBytes(1n << 40n)).toBe('1.00 TiB');
    expect(formatBytes(18_446_744_073_709_551_615n)).toBe('16.00 EiB');
  });

  it('rates in bit/s with decimal prefixes', () => {
    expect(formatRate(0)).toBe('0.00 bit/s');
    expect(formatRate(15_870)).toBe('15.87 kbit/s');
    expect(formatRate(18_040_000)).toBe('18.04 Mbit/s');
  });
});

describe('report', () => {
  const r = [
    [T0 + 10 * 60_000, 1_000_000n, 500_000n],
    [T0 + 70 * 60_000, 3_600_000n, 0n],
    [T0 + 25 * HOUR, 2n << 30n, 1n << 30n],
  ].reduce((acc, [at, rx, tx]) => rollUp(acc, Number(at), BigInt(rx), BigInt(tx), 'UTC'), startRollups(T0));

  it('averages a finished bucket over its length and the running one over the time so far', () => {
    const now = T0 + 25 * HOUR + 30 * 60_000;
    const rep = buildReport(r, ['hours', 'days', 'top'], now, 'UTC');
    expect(rep.hours!.map((h) => h.key)).toEqual(['2025-03-10 12:00', '2025-03-10 13:00', '2025-03-11 13:00']);
    expect(rep.hours![1]).toMatchObject({ rx: '3600000', tx: '0', seconds: 3600, avgBitsPerSec: 8000 });
    expect(rep.hours![2].seconds).toBe(1800); // the running hour: 30 minutes so far
    // the first day began with the rollups at 12:00: its average is over the 12 hours they covered
    expect(rep.days![0]).toMatchObject({ key: '2025-03-10', seconds: 12 * 3600 });
    expect(rep.days![1]).toMatchObject({ key: '2025-03-11', seconds: 13.5 * 3600 });
    // the top list averages over whole days, as vnstat -t does
    expect(rep.top!.map((d) => [d.key, d.seconds])).toEqual([
      ['2025-03-11', 86400],
      ['2025-03-10', 86400],
    ]);
  });

  it('a day of 23 hours (DST) is averaged over 23 hours', () => {
    const ny = rollUp(startRollups(0), Date.UTC(2025, 2, 9, 12), 1n, 0n, 'America/New_York');
    const rep = buildReport(ny, ['days'], Date.UTC(2025, 3, 1), 'America/New_York');
    expect(rep.days![0]).toMatchObject({ key: '2025-03-09', seconds: 23 * 3600 });
  });

  it('lays the table out in the columns of vnstat -d and -t', () => {
    const rep = buildReport(r, ['days', 'top'], T0 + 26 * HOUR, 'UTC');
    const text = reportTable(rep, ['days', 'top'], 'node 7', '2025-03-11');
    const lines = text.split('\n');
    // Header and separator lines as vnstat 2.10 prints them
    expect(lines).toContain('          day        rx      |     tx      |    total    |   avg. rate');
    expect(lines).toContain('     ------------------------+-------------+-------------+---------------');
    expect(lines).toContain('    #      day          rx      |     tx      |    total    |   avg. rate');
    // 3 GiB over the 14 hours of the running day: 3 * 2^30 * 8 / 50400 s
    const day = lines.find((l) => l.startsWith('     2025-03-11'))!;
    expect(day).toBe('     2025-03-11     2.00 GiB |    1.00 GiB |    3.00 GiB |  511.31 kbit/s');
    // every row's column bars sit under the header's
    const bars = (l: string) => [...l].flatMap((c, i) => (c === '|' ? [i] : []));
    expect(bars(day)).toEqual(bars('          day        rx      |     tx      |    total    |   avg. rate'));
    expect(lines.find((l) => l.startsWith(' >  1'))).toMatch(/^ > {2}1 {3}2025-03-11 +2\.00 GiB \|/);
    expect(text).toContain(' node 7  /  daily');
  });
});
