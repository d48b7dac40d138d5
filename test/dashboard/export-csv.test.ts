import { describe, expect, it } from 'vitest';
import { csvRecords, daysLabel, onlyUser, reportDays } from '../../src/dashboard/web/export-csv.js';

describe('export-csv helpers', () => {
  it('names the local days that cover a [from, to) range, the last instant of `to` excluded', () => {
    const from = new Date(2026, 10, 1).getTime();
    const to = new Date(2026, 10, 30).getTime() + 86_400_000;
    expect(reportDays({ from, to })).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(reportDays({ from, to: from + 86_400_000 })).toEqual({ from: '2026-11-01', to: '2026-11-01' });
    expect(daysLabel({ from: '2026-11-01', to: '2026-11-01' })).toBe('2026-11-01');
    expect(daysLabel({ from: '2026-11-01', to: '2026-11-30' })).toBe('2026-11-01 – 2026-11-30');
  });

  it('splits records on line ends outside quotes only, and keeps one user with the header', () => {
    const csv = 'user_id,node_id,node_name\r\n4,1,"a\r\n42,b"\r\n42,2,"x, ""y"""\r\n142,3,z\r\n';
    expect(csvRecords(csv)).toEqual([
      'user_id,node_id,node_name\r\n',
      '4,1,"a\r\n42,b"\r\n',
      '42,2,"x, ""y"""\r\n',
      '142,3,z\r\n',
    ]);
    expect(onlyUser(csv, 42)).toBe('user_id,node_id,node_name\r\n42,2,"x, ""y"""\r\n');
    expect(onlyUser(csv, 7)).toBe('user_id,node_id,node_name\r\n');
  });
});
