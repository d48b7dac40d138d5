import { describe, expect, it } from 'vitest';
import { dayRange } from '../../src/dashboard/web/dom.js';
import { csvRecords, daysLabel, reportDays } from '../../src/dashboard/web/export-csv.js';

describe('export-csv helpers', () => {
  it('names the local days that cover a [from, to) range, the last instant of `to` excluded', () => {
    const from = new Date(2026, 10, 1).getTime();
    const to = new Date(2026, 10, 30).getTime() + 86_400_000;
    expect(reportDays({ from, to }, null)).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(reportDays({ from, to: from + 86_400_000 }, null)).toEqual({ from: '2026-11-01', to: '2026-11-01' });
    expect(daysLabel({ from: '2026-11-01', to: '2026-11-01' })).toBe('2026-11-01');
    expect(daysLabel({ from: '2026-11-01', to: '2026-11-30' })).toBe('2026-11-01 – 2026-11-30');
  });

  it("counts the days in the collector's zone, whatever the browser's", () => {
    // 2026-11-30 20:30 UTC is already 2026-12-01 in Tokyo and still 2026-11-30 in New York.
    const now = Date.UTC(2026, 10, 30, 20, 30);
    const tokyo = dayRange(7, now, 'Asia/Tokyo');
    expect(tokyo).toEqual({ from: Date.UTC(2026, 10, 24, 15), to: Date.UTC(2026, 11, 1, 15) });
    expect(reportDays(tokyo, 'Asia/Tokyo')).toEqual({ from: '2026-11-25', to: '2026-12-01' });
    const ny = dayRange(1, now, 'America/New_York');
    expect(ny).toEqual({ from: Date.UTC(2026, 10, 30, 5), to: Date.UTC(2026, 11, 1, 5) });
    expect(reportDays(ny, 'America/New_York')).toEqual({ from: '2026-11-30', to: '2026-11-30' });
    // Across a DST change (Berlin, 2026-03-29): the day is 23 hours long and still one day.
    const berlin = dayRange(1, Date.UTC(2026, 2, 29, 12), 'Europe/Berlin');
    expect(berlin.to - berlin.from).toBe(23 * 3_600_000);
    expect(reportDays(berlin, 'Europe/Berlin')).toEqual({ from: '2026-03-29', to: '2026-03-29' });
  });

  it('splits records on line ends outside quotes only', () => {
    const csv = 'user_id,node_id,node_name\r\n4,1,"a\r\n42,b"\r\n42,2,"x, ""y"""\r\n142,3,z\r\n';
    expect(csvRecords(csv)).toEqual([
      'user_id,node_id,node_name\r\n',
      '4,1,"a\r\n42,b"\r\n',
      '42,2,"x, ""y"""\r\n',
      '142,3,z\r\n',
    ]);
  });
});
