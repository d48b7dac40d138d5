/**
 * The quota, pool and alert-ledger part of the store contract (store-quota-{sqlite,postgres}.test.ts run it on each
 * engine): pools and memberships, quotas with limits up to 2^63-1, an alert written once per key even by two stores
 * at once, deliveries claimed under a lease, marked delivered only on success, retried, given up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewAlert } from '../../src/collector/store/quota-store.js';
import type { Store } from '../../src/collector/store/store.js';
import { STORE_MAX } from '../../src/collector/store/store.js';
import { hashToken } from '../../src/collector/tokens.js';
import type { StoreHarness } from './store-harness.js';

const T0 = Date.UTC(2026, 2, 15, 12);
const DAY = 86_400_000;
let seq = 0;

export function quotaStoreContract(
  engine: string,
  makeHarness: () => Promise<StoreHarness>,
  skipReason?: string,
): void {
  describe.skipIf(Boolean(skipReason))(`quota store contract on ${engine}`, () => {
    let h: StoreHarness;
    let s: Store;
    const node = async () =>
      s.addNode({
        name: `q${++seq}`,
        tokenHash: hashToken(`quota-${engine}-${seq}-${Math.random()}`),
        rate: '1',
        resetDay: 1,
        timezone: 'UTC',
        createdAt: T0,
      });
    const alert = (key: string, extra: Partial<NewAlert> = {}): NewAlert => ({
      key,
      kind: 'quota',
      nodeId: null,
      poolId: null,
      quotaId: null,
      payload: JSON.stringify({ id: key }),
      firedAt: T0,
      ...extra,
    });

    beforeAll(async () => {
      h = await makeHarness();
      s = h.store;
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('pools: unique names, memberships, a removed node leaves its pools', async () => {
      const [a, b] = [await node(), await node()];
      const p = await s.quotas.addPool({ name: `pool-${engine}`, resetDay: 5, timezone: 'Asia/Tokyo', createdAt: T0 });
      expect(p).toMatchObject({ name: `pool-${engine}`, resetDay: 5, timezone: 'Asia/Tokyo', nodeIds: [] });
      await expect(
        s.quotas.addPool({ name: `pool-${engine}`, resetDay: 1, timezone: 'UTC', createdAt: T0 }),
      ).rejects.toMatchObject({ code: 'TC_POOL_EXISTS' });
      expect(await s.quotas.addPoolNode(p.id, a.id)).toBe(true);
      expect(await s.quotas.addPoolNode(p.id, a.id)).toBe(false);
      expect(await s.quotas.addPoolNode(p.id, b.id)).toBe(true);
      await expect(s.quotas.addPoolNode(p.id, 999_999)).rejects.toMatchObject({ code: 'TC_NODE_NOT_FOUND' });
      await expect(s.quotas.addPoolNode(999_999, a.id)).rejects.toMatchObject({ code: 'TC_POOL_NOT_FOUND' });
      expect((await s.quotas.listPools()).find((x) => x.id === p.id)?.nodeIds).toEqual([a.id, b.id]);
      expect(await s.quotas.removePoolNode(p.id, a.id)).toBe(true);
      expect(await s.quotas.removePoolNode(p.id, a.id)).toBe(false);
      await s.removeNode(b.id);
      expect((await s.quotas.listPools()).find((x) => x.id === p.id)?.nodeIds).toEqual([]);
      expect(await s.quotas.removePool(p.id)).toBe(true);
      expect(await s.quotas.removePool(p.id)).toBe(false);
    });

    it('quotas: node or pool, limits up to 2^63-1 exactly, removed with their owner', async () => {
      const n = await node();
      const p = await s.quotas.addPool({ name: `qp-${engine}`, resetDay: 1, timezone: 'UTC', createdAt: T0 });
      const q1 = await s.quotas.addQuota({
        nodeId: n.id,
        poolId: null,
        limit: STORE_MAX,
        measure: 'max',
        thresholds: [80, 90, 100],
        cycleDays: null,
        cycleStart: null,
        channels: ['ops', 'tg'],
        createdAt: T0,
      });
      const q2 = await s.quotas.addQuota({
        nodeId: null,
        poolId: p.id,
        limit: 10n ** 13n,
        measure: 'sum',
        thresholds: [50],
        cycleDays: 30,
        cycleStart: T0,
        channels: [],
        createdAt: T0,
      });
      const list = await s.quotas.listQuotas();
      expect(list.find((q) => q.id === q1.id)).toEqual({
        id: q1.id,
        nodeId: n.id,
        poolId: null,
        limit: STORE_MAX,
        measure: 'max',
        thresholds: [80, 90, 100],
        cycleDays: null,
        cycleStart: null,
        channels: ['ops', 'tg'],
        createdAt: T0,
      });
      expect(list.find((q) => q.id === q2.id)).toMatchObject({
        poolId: p.id,
        limit: 10n ** 13n,
        cycleDays: 30,
        cycleStart: T0,
      });
      await expect(s.quotas.addQuota({ ...q2, poolId: 999_999 })).rejects.toMatchObject({ code: 'TC_POOL_NOT_FOUND' });
      await expect(s.quotas.addQuota({ ...q1, nodeId: 999_999 })).rejects.toMatchObject({ code: 'TC_NODE_NOT_FOUND' });
      await s.removeNode(n.id);
      await s.quotas.removePool(p.id);
      const left = (await s.quotas.listQuotas()).map((q) => q.id);
      expect(left).not.toContain(q1.id);
      expect(left).not.toContain(q2.id);
      expect(await s.quotas.removeQuota(q1.id)).toBe(false);
    });

    it('an alert is written once per key, also by two stores at once, with one pending delivery per channel', async () => {
      const other = await h.openAnother();
      const key = `quota:1:p${T0}:t80:${engine}`;
      const results = await Promise.all([
        s.quotas.fireAlert(alert(key), ['ops', 'tg']),
        other.quotas.fireAlert(alert(key), ['ops', 'tg']),
        s.quotas.fireAlert(alert(key), ['ops', 'tg']),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await s.quotas.alertExists(key)).toBe(true);
      expect(await s.quotas.alertExists(`${key}-nope`)).toBe(false);
      const [row] = (await s.quotas.listAlerts(100)).filter((a) => a.key === key);
      expect(row.deliveries.map((d) => [d.channel, d.state, d.attempts])).toEqual([
        ['ops', 'pending', 0],
        ['tg', 'pending', 0],
      ]);
    });

    it('deliveries: claimed under a lease (two stores never hold one at once), delivered only on success, retried, given up', async () => {
      const other = await h.openAnother();
      const now = T0 + 10_000_000;
      // Drain what earlier tests left pending.
      while ((await s.quotas.claimDeliveries(now + 1e9, 1e12, 100)).length);
      const key = `event:1:e:1:reboot:${engine}`;
      expect(await s.quotas.fireAlert(alert(key, { kind: 'event', firedAt: now }), ['a', 'b', 'c'])).toBe(true);
      const [x, y] = await Promise.all([
        s.quotas.claimDeliveries(now, 5000, 10),
        other.quotas.claimDeliveries(now, 5000, 10),
      ]);
      const claimed = [...x, ...y];
      expect(claimed.map((j) => j.channel).sort()).toEqual(['a', 'b', 'c']);
      expect(
        claimed.every((j) => j.alertKey === key && j.attempts === 1 && j.payload === JSON.stringify({ id: key })),
      ).toBe(true);
      const id = claimed[0].alertId;
      // Within the lease nothing is handed out again (a process killed mid-send holds it until the lease ends).
      expect(await s.quotas.claimDeliveries(now + 4999, 5000, 10)).toEqual([]);
      await s.quotas.finishDelivery(id, 'a', { ok: true, at: now + 100 });
      await s.quotas.finishDelivery(id, 'b', { ok: false, at: now + 100, error: 'HTTP 503', retryAt: now + 1000 });
      await s.quotas.finishDelivery(id, 'c', { ok: false, at: now + 100, error: 'ECONNREFUSED', retryAt: null });
      const again = await s.quotas.claimDeliveries(now + 1000, 5000, 10);
      expect(again.map((j) => [j.channel, j.attempts])).toEqual([['b', 2]]);
      // The lease ended with no outcome (a crash): due again, same key.
      const third = await s.quotas.claimDeliveries(now + 6000, 5000, 10);
      expect(third.map((j) => [j.channel, j.attempts, j.alertKey])).toEqual([['b', 3, key]]);
      await s.quotas.finishDelivery(id, 'b', { ok: true, at: now + 6100 });
      // A late failure report for a delivered one changes nothing.
      await s.quotas.finishDelivery(id, 'a', { ok: false, at: now + 6200, error: 'late', retryAt: now + 7000 });
      expect(await s.quotas.claimDeliveries(now + 1e9, 5000, 10)).toEqual([]);
      const [row] = (await s.quotas.listAlerts(100)).filter((a) => a.key === key);
      expect(row.deliveries).toEqual([
        { channel: 'a', state: 'delivered', attempts: 1, lastError: null, deliveredAt: now + 100, nextAttemptAt: null },
        {
          channel: 'b',
          state: 'delivered',
          attempts: 3,
          lastError: null,
          deliveredAt: now + 6100,
          nextAttemptAt: null,
        },
        {
          channel: 'c',
          state: 'failed',
          attempts: 1,
          lastError: 'ECONNREFUSED',
          deliveredAt: null,
          nextAttemptAt: null,
        },
      ]);
    });

    it('lists alerts newest first, the newest key per node and kind, and the records that carry events', async () => {
      const n = await node();
      await s.quotas.fireAlert(alert(`offline:${n.id}:100`, { kind: 'offline', nodeId: n.id }), []);
      await s.quotas.fireAlert(alert(`offline:${n.id}:200`, { kind: 'offline', nodeId: n.id }), []);
      await s.quotas.fireAlert(alert(`online:${n.id}:200`, { kind: 'online', nodeId: n.id }), []);
      expect((await s.quotas.latestAlertKeys('offline')).get(n.id)).toBe(`offline:${n.id}:200`);
      const list = await s.quotas.listAlerts(2);
      expect(list.map((a) => a.key)).toEqual([`online:${n.id}:200`, `offline:${n.id}:200`]);
      expect(list[0].deliveries).toEqual([]);

      const at = Date.now();
      await s.ingestHeartbeat(
        n.id,
        {
          epoch: '00000000000000e1',
          records: [
            { seq: 1, from: at - 2000, to: at - 1000, rx: 1n, tx: 1n, events: [] },
            { seq: 2, from: at - 1000, to: at, rx: 1n, tx: 1n, events: ['reboot', 'implausible:eth0'] },
          ],
          load: null,
          uptimeSec: 1,
          bootId: null,
          agentVersion: 't',
          host: null,
        },
        at,
      );
      const ev = (await s.quotas.eventRecords(at - 1)).filter((r) => r.nodeId === n.id);
      expect(ev).toEqual([
        { nodeId: n.id, epoch: '00000000000000e1', seq: 2, to: at, events: ['reboot', 'implausible:eth0'] },
      ]);
      expect((await s.quotas.eventRecords(at + 1)).filter((r) => r.nodeId === n.id)).toEqual([]);
    });

    it('prunes settled alerts past the retention, never one that is pending, presence state or a running quota period', async () => {
      const n = await node();
      const old = T0 - 200 * DAY;
      const cutoff = T0 - 100 * DAY;
      const key = (k: string) => `prune-${engine}-${n.id}-${k}`;
      const quotaDoc = (end: number) => JSON.stringify({ id: 'q', period: { start: end - 30 * DAY, end } });
      const fire = (k: string, extra: Partial<NewAlert>, channels: string[] = []) =>
        s.quotas.fireAlert(alert(key(k), { firedAt: old, nodeId: n.id, ...extra }), channels);
      // Settled and old: all of these go.
      await fire('event-delivered', { kind: 'event' }, ['hook']);
      await fire('anomaly-failed', { kind: 'anomaly' }, ['hook', 'chat']);
      await fire('event-no-channel', { kind: 'event' });
      await fire('offline-older', { kind: 'offline' });
      await fire('online-older', { kind: 'online' });
      await fire('quota-over', { kind: 'quota', quotaId: 1, payload: quotaDoc(old + DAY) });
      // Kept: pending, too young, the newest presence alerts of the node, a quota period still running.
      await fire('event-pending', { kind: 'event' }, ['hook']);
      await fire('event-young', { kind: 'event', firedAt: cutoff + 1 });
      await fire('offline-newest', { kind: 'offline' });
      await fire('online-newest', { kind: 'online' });
      await fire('quota-running', { kind: 'quota', quotaId: 1, payload: quotaDoc(T0 + DAY) });
      // Settle the deliveries: one delivered, one pair given up, the pending one left alone.
      const jobs = (await s.quotas.claimDeliveries(T0, 1000, 100)).filter((j) => j.alertKey.startsWith(key('')));
      expect(jobs.map((j) => `${j.alertKey.slice(key('').length)}/${j.channel}`).sort()).toEqual([
        'anomaly-failed/chat',
        'anomaly-failed/hook',
        'event-delivered/hook',
        'event-pending/hook',
      ]);
      for (const j of jobs) {
        if (j.alertKey === key('event-delivered'))
          await s.quotas.finishDelivery(j.alertId, j.channel, { ok: true, at: T0 });
        if (j.alertKey === key('anomaly-failed'))
          await s.quotas.finishDelivery(j.alertId, j.channel, { ok: false, at: T0, error: 'x', retryAt: null });
      }

      // A batch of 2 makes several statements; the count is the total.
      expect(await s.quotas.pruneAlerts(cutoff, T0, 2)).toBe(6);
      const left = (await s.quotas.listAlerts(1000)).map((a) => a.key).filter((k) => k.startsWith(key('')));
      expect(left.map((k) => k.slice(key('').length)).sort()).toEqual([
        'event-pending',
        'event-young',
        'offline-newest',
        'online-newest',
        'quota-running',
      ]);
      expect((await s.quotas.latestAlertKeys('offline')).get(n.id)).toBe(key('offline-newest'));
      // Their deliveries went with them: the pending one is still claimable once its lease is over, nothing else.
      const again = (await s.quotas.claimDeliveries(T0 + 10_000, 1000, 100)).filter((j) =>
        j.alertKey.startsWith(key('')),
      );
      expect(again.map((j) => j.alertKey)).toEqual([key('event-pending')]);
      // Once the quota period is over (and the retention reaches past the young one), those go too.
      expect(await s.quotas.pruneAlerts(T0, T0 + 2 * DAY)).toBe(2);
      expect(await s.quotas.alertExists(key('quota-running'))).toBe(false);
      expect(await s.quotas.alertExists(key('offline-newest'))).toBe(true);
      // A second fire of a pruned key writes it anew (why the rules above keep what could fire again).
      expect(await fire('event-delivered', { kind: 'event' })).toBe(true);
    });
  });
}
