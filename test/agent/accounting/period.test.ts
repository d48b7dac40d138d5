import { describe, expect, it } from 'vitest';
import { accountTick, baselineState } from '../../../src/agent/accounting/account-tick.js';
import { EPOCH, sample, settings } from './values.js';

/** Two ticks around an instant: the second one crosses it. */
function across(boundary: number, timeZone: string, resetDay: number) {
  const s = settings({ timeZone, resetDay });
  const base = baselineState(sample(boundary - 120_000, { eth0: [0, 0] }), EPOCH, s);
  const before = accountTick(base, sample(boundary - 60_000, { eth0: [1_000, 10] }), s);
  const after = accountTick(before.state, sample(boundary + 60_000, { eth0: [1_500, 30] }), s);
  return { s, base, before, after };
}

describe('billing period rollover', () => {
  it('reset day 31 is clamped to Feb 29 in a leap year, at local midnight of the zone (Asia/Tokyo, UTC+9)', () => {
    const boundary = Date.UTC(2024, 1, 28, 15); // 2024-02-29 00:00 JST
    const { base, before, after } = across(boundary, 'Asia/Tokyo', 31);
    expect(base.period.start).toBe(Date.UTC(2024, 0, 30, 15)); // Jan 31 00:00 JST
    expect(before.state.period).toEqual({ start: Date.UTC(2024, 0, 30, 15), rx: '1000', tx: '10' });
    expect(before.events.filter((e) => e.type === 'period-start')).toEqual([]);
    expect(after.events).toContainEqual({ type: 'period-start', start: boundary });
    // the new period holds only what was counted after it began; the totals keep everything
    expect(after.state.period).toEqual({ start: boundary, rx: '500', tx: '20' });
    expect(after.state.totals).toEqual({ rx: '1500', tx: '30' });
  });

  it('reset day 31 is clamped to Feb 28 in a common year, west of Greenwich (America/New_York, UTC-5)', () => {
    const boundary = Date.UTC(2025, 1, 28, 5); // 2025-02-28 00:00 EST
    const { after } = across(boundary, 'America/New_York', 31);
    expect(after.state.period).toEqual({ start: boundary, rx: '500', tx: '20' });
    // and the period after that starts on March 31 (EDT by then, UTC-4)
    const s = settings({ timeZone: 'America/New_York', resetDay: 31 });
    const march = accountTick(after.state, sample(Date.UTC(2025, 2, 31, 4, 0, 1), { eth0: [1_600, 30] }), s);
    expect(march.state.period).toEqual({ start: Date.UTC(2025, 2, 31, 4), rx: '100', tx: '0' });
  });

  it('does not roll over at UTC midnight when the zone is not UTC', () => {
    const utcMidnight = Date.UTC(2025, 2, 1); // 2025-03-01 00:00 UTC is still Feb 28 16:00 in Los Angeles
    const { after } = across(utcMidnight, 'America/Los_Angeles', 1);
    expect(after.events.filter((e) => e.type === 'period-start')).toEqual([]);
    expect(after.state.period.rx).toBe('1500');
    const local = across(Date.UTC(2025, 2, 1, 8), 'America/Los_Angeles', 1); // 00:00 PST
    expect(local.after.state.period).toEqual({ start: Date.UTC(2025, 2, 1, 8), rx: '500', tx: '20' });
  });
});
