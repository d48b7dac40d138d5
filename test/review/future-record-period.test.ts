/**
 * REPRODUCTION (review finding): the collector trusts the agent's clock for the billing period without bound.
 * src/collector/store/ingest-plan.ts:300-309: one record whose `to` lies in the future (a node that booted with a
 * wrong RTC and ticked before NTP stepped the clock; the agent unit is not ordered after time-sync.target; or an
 * operator's `date -s` typo) moves the node's stored period to that future period. Every later, correctly dated
 * record then has to < periodStart and is left out of the period counters, until the wall clock reaches that
 * future date. The node's billing-period bytes stop counting (totals still grow), silently.
 * Real parts: collector app + SQLite store, heartbeat route. This test FAILS while the bug is present.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { effectivePeriod } from '../../src/collector/store/ingest-plan.js';
import { makeTestApp, type TestApp } from '../collector/app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('review: one future-dated record', () => {
  it('does not stop the billing period from counting correctly dated records', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const now = t.clock.now; // 2026-03-15T12:00Z
    const future = Date.UTC(2036, 0, 1, 0, 5); // the RTC's idea of "now" before NTP stepped the clock
    expect((await t.heartbeat(node.token, { records: [{ seq: 1, from: future - 60_000, to: future, rx: '100', tx: '100' }] })).statusCode).toBe(200);
    // NTP fixed the clock; the next minute of traffic is correctly dated.
    expect((await t.heartbeat(node.token, { records: [{ seq: 2, from: now, to: now + 60_000, rx: '5000000', tx: '7000000' }] })).statusCode).toBe(200);
    t.clock.now = now + 120_000;
    const s = (await t.store.getNodeStats(node.id))!;
    expect(s.totalRx).toBe(5_000_100n);
    const p = effectivePeriod(s, t.clock.now);
    expect(p.start).toBeLessThanOrEqual(t.clock.now); // actually 2036-01-01
    expect(p.rx).toBeGreaterThanOrEqual(5_000_000n); // actually 100: March's bytes are in no period at all
  });
});
