/**
 * Regression (found in review): one record dated in the future (a node that ticked before NTP fixed its clock) used
 * to move the node's billing period to that future period and leave every correctly dated record after it out of
 * the period counters. A record's time now counts at most MAX_CLOCK_AHEAD_MS ahead of the collector's clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { effectivePeriod } from '../../src/collector/store/ingest-plan.js';
import { makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('one future-dated record', () => {
  it('does not stop the billing period from counting correctly dated records', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const now = t.clock.now; // 2026-03-15T12:00Z
    const future = Date.UTC(2036, 0, 1, 0, 5); // the RTC's idea of "now" before NTP stepped the clock
    expect(
      (
        await t.heartbeat(node.token, {
          records: [{ seq: 1, from: future - 60_000, to: future, rx: '100', tx: '100' }],
        })
      ).statusCode,
    ).toBe(200);
    // NTP fixed the clock; the next minute of traffic is correctly dated.
    expect(
      (
        await t.heartbeat(node.token, {
          records: [{ seq: 2, from: now, to: now + 60_000, rx: '5000000', tx: '7000000' }],
        })
      ).statusCode,
    ).toBe(200);
    t.clock.now = now + 120_000;
    const s = (await t.store.getNodeStats(node.id))!;
    expect(s.totalRx).toBe(5_000_100n);
    const p = effectivePeriod(s, t.clock.now);
    expect(p.start).toBeLessThanOrEqual(t.clock.now);
    expect(p.rx).toBeGreaterThanOrEqual(5_000_000n);
  });
});
