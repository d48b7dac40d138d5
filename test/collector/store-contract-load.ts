/**
 * Load history (store/load-plan.ts), part of the shared store contract: run on SQLite by store-sqlite.test.ts and on
 * PostgreSQL by store-postgres.test.ts. Stores are opened with the default sample gap (50 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CLOCK_AHEAD_MS } from '../../src/collector/store/ingest-plan.js';
import { DEFAULT_LOAD_SAMPLE_GAP_MS } from '../../src/collector/store/load-plan.js';
import type { Store } from '../../src/collector/store/store.js';
import { hashToken } from '../../src/collector/tokens.js';
import { hb, rec } from './store-contract.js';
import type { StoreHarness } from './store-harness.js';

const T0 = Date.UTC(2026, 2, 15, 12, 0, 0);
const H = 3_600_000;
const MIN = 60_000;
let tokenSeq = 0;

export function storeLoadContract(engine: string, makeHarness: () => Promise<StoreHarness>, skipReason?: string): void {
  describe.skipIf(Boolean(skipReason))(`Store contract, load history, on ${engine}`, () => {
    let h: StoreHarness;
    let s: Store;
    const newNode = async () =>
      (
        await s.addNode({
          name: `load${++tokenSeq}`,
          tokenHash: hashToken(`load-${engine}-${tokenSeq}-${Math.random()}`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: T0,
        })
      ).id;
    const samples = (id: number) => s.loadSamples(id, 0, T0 + 1000 * H);

    beforeAll(async () => {
      h = await makeHarness();
      s = h.store;
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('keeps a sample per heartbeat a minute apart, dated by the collector, and the hour min/avg/max of them', async () => {
      const id = await newNode();
      const loads: Array<[number, number, number]> = [
        [1, 2, 3],
        [3, 2, 1],
        [0.5, 4, 2],
      ];
      for (const [i, load] of loads.entries()) {
        const at = T0 + i * MIN;
        // The agent's clock is 5 s behind: the sample is dated by the collector's.
        await s.ingestHeartbeat(id, hb('0000000000000a01', [], { load, sentAt: at - 5000 }), at);
      }
      await s.ingestHeartbeat(id, hb('0000000000000a01', [], { load: null, sentAt: T0 + 3 * MIN }), T0 + 3 * MIN);
      await s.ingestHeartbeat(id, hb('0000000000000a01', [], { load: [9, 9, 9], sentAt: T0 + H }), T0 + H);
      expect(await samples(id)).toEqual([
        { at: T0, load: [1, 2, 3] },
        { at: T0 + MIN, load: [3, 2, 1] },
        { at: T0 + 2 * MIN, load: [0.5, 4, 2] },
        { at: T0 + H, load: [9, 9, 9] },
      ]);
      expect(await s.loadSamples(id, T0 + MIN, T0 + 2 * MIN)).toEqual([{ at: T0 + MIN, load: [3, 2, 1] }]);
      const hours = await s.loadHourly(id, T0 - H, T0 + 2 * H);
      expect(hours).toHaveLength(2);
      expect(hours[0]).toMatchObject({ at: T0, samples: 3, min: [0.5, 2, 1], max: [3, 4, 3] });
      expect(hours[0].avg.map((v) => Number(v.toFixed(9)))).toEqual([1.5, 2.666666667, 2]);
      expect(hours[1]).toEqual({ at: T0 + H, samples: 1, avg: [9, 9, 9], min: [9, 9, 9], max: [9, 9, 9] });
      expect(await s.loadHourly(id, T0 + H, T0 + 2 * H)).toHaveLength(1);
    });

    it('a duplicate heartbeat adds no sample: a resend of held records, a replay, an older request, a conflict', async () => {
      const id = await newNode();
      const e = '0000000000000a02';
      const first = hb(e, [rec(1, 10, 10)], { load: [1, 1, 1], sentAt: T0 });
      await s.ingestHeartbeat(id, first, T0);
      // The response was lost: the agent resends the same record a minute later with a new load and a new sentAt.
      const resend = await s.ingestHeartbeat(
        id,
        hb(e, [rec(1, 10, 10)], { load: [2, 2, 2], sentAt: T0 + MIN }),
        T0 + MIN,
      );
      expect(resend.duplicates).toBe(1);
      // An idle node's empty heartbeat replayed byte for byte (same sentAt), and one sent before the last sample.
      await s.ingestHeartbeat(id, hb(e, [], { load: [3, 3, 3], sentAt: T0 + 2 * MIN }), T0 + 2 * MIN);
      await s.ingestHeartbeat(id, hb(e, [], { load: [3, 3, 3], sentAt: T0 + 2 * MIN }), T0 + 4 * MIN);
      await s.ingestHeartbeat(id, hb(e, [], { load: [4, 4, 4], sentAt: T0 + MIN }), T0 + 5 * MIN);
      // A record held with other contents (conflict first: nothing applied).
      const conflict = await s.ingestHeartbeat(
        id,
        hb(e, [rec(1, 99, 99)], { load: [5, 5, 5], sentAt: T0 + 6 * MIN }),
        T0 + 6 * MIN,
      );
      expect(conflict.conflict?.seq).toBe(1);
      expect(await samples(id)).toEqual([
        { at: T0, load: [1, 1, 1] },
        { at: T0 + 2 * MIN, load: [3, 3, 3] },
      ]);
      expect((await s.loadHourly(id, T0, T0 + H))[0].samples).toBe(2);
      // A heartbeat with a fresh record after a held one is new: its load is kept.
      await s.ingestHeartbeat(
        id,
        hb(e, [rec(1, 10, 10), rec(2, 1, 1)], { load: [6, 6, 6], sentAt: T0 + 7 * MIN }),
        T0 + 7 * MIN,
      );
      expect((await samples(id)).map((x) => x.load[0])).toEqual([1, 3, 6]);
    });

    it('keeps at most one sample per gap, whatever the heartbeat interval', async () => {
      const id = await newNode();
      for (let i = 0; i < 30; i++) {
        const at = T0 + i * 10_000; // a 10 s heartbeat for 5 minutes
        await s.ingestHeartbeat(id, hb('0000000000000a03', [], { load: [i, i, i], sentAt: at }), at);
      }
      const kept = await samples(id);
      expect(kept.map((x) => (x.at - T0) / 1000)).toEqual([0, 50, 100, 150, 200, 250]);
      for (let i = 1; i < kept.length; i++)
        expect(kept[i].at - kept[i - 1].at).toBeGreaterThanOrEqual(DEFAULT_LOAD_SAMPLE_GAP_MS);
    });

    it('a heartbeat that fails after its sample was written leaves no sample, and its resend keeps one', async () => {
      const id = await newNode();
      const beat = hb('0000000000000a04', [rec(1, 5, 5)], { load: [7, 7, 7], sentAt: T0 });
      await h.exec(h.sabotageStats.on);
      try {
        await expect(s.ingestHeartbeat(id, beat, T0)).rejects.toThrow();
      } finally {
        await h.exec(h.sabotageStats.off);
      }
      expect(await samples(id)).toEqual([]);
      expect(await s.loadHourly(id, 0, T0 + H)).toEqual([]);
      expect((await s.getNodeStats(id))?.totalRx).toBe(0n);
      await s.ingestHeartbeat(id, beat, T0 + 1000);
      expect(await samples(id)).toEqual([{ at: T0 + 1000, load: [7, 7, 7] }]);
    });

    it('the same heartbeat through two stores at once (two collectors) keeps one sample', async () => {
      const id = await newNode();
      const other = await h.openAnother();
      const beat = hb('0000000000000a05', [], { load: [2, 2, 2], sentAt: T0 });
      await Promise.all([s.ingestHeartbeat(id, beat, T0), other.ingestHeartbeat(id, beat, T0 + 10)]);
      expect(await samples(id)).toHaveLength(1);
      expect((await s.loadHourly(id, 0, T0 + H))[0].samples).toBe(1);
    });

    it('an agent clock far ahead counts no further than the collector allows, so samples resume once it is fixed', async () => {
      const id = await newNode();
      const e = '0000000000000a06';
      await s.ingestHeartbeat(id, hb(e, [], { load: [1, 1, 1], sentAt: T0 + 365 * 24 * H }), T0);
      await s.ingestHeartbeat(id, hb(e, [], { load: [2, 2, 2], sentAt: T0 + 5 * MIN }), T0 + 5 * MIN);
      await s.ingestHeartbeat(
        id,
        hb(e, [], { load: [3, 3, 3], sentAt: T0 + MAX_CLOCK_AHEAD_MS + MIN }),
        T0 + MAX_CLOCK_AHEAD_MS + MIN,
      );
      expect((await samples(id)).map((x) => x.load[0])).toEqual([1, 3]);
    });

    it('pruning rolls raw samples up into their hours: the hourly figures read the same before and after', async () => {
      const id = await newNode();
      // Four samples in one hour, 15 minutes apart; the cutoff falls in the middle of the hour.
      const loads = [4, 1, 3, 2];
      for (const [i, l] of loads.entries()) {
        const at = T0 + i * 15 * MIN;
        await s.ingestHeartbeat(id, hb('0000000000000a08', [], { load: [l, l / 2, l / 4], sentAt: at }), at);
      }
      const before = await s.loadHourly(id, T0, T0 + H);
      expect(before).toEqual([{ at: T0, samples: 4, avg: [2.5, 1.25, 0.625], min: [1, 0.5, 0.25], max: [4, 2, 1] }]);
      // (Counts are of the whole database, which the other tests share: this node's part is checked by its reads.)
      expect((await s.pruneLoad(T0 + 20 * MIN, 0)).samples).toBeGreaterThanOrEqual(2);
      expect(await s.loadSamples(id, 0, T0 + H)).toHaveLength(2);
      expect(await s.loadHourly(id, T0, T0 + H)).toEqual(before);
      // Pruning again at the same cutoff moves nothing; past the hour, the rest joins the same hour.
      expect(await s.pruneLoad(T0 + 20 * MIN, 0)).toEqual({ samples: 0, hours: 0 });
      expect(await s.loadHourly(id, T0, T0 + H)).toEqual(before);
      expect((await s.pruneLoad(T0 + H, 0)).samples).toBeGreaterThanOrEqual(2);
      expect(await s.loadSamples(id, 0, T0 + H)).toEqual([]);
      expect(await s.loadHourly(id, T0, T0 + H)).toEqual(before);
      expect(await h.scalar(`SELECT COUNT(*) FROM load_hourly WHERE node_id = ${id}`)).toBe(1);
    });

    it('two stores pruning at once (two collectors) roll each sample up once', async () => {
      const id = await newNode();
      for (let i = 0; i < 20; i++) {
        const at = T0 - 100 * H + i * MIN;
        await s.ingestHeartbeat(id, hb('0000000000000a09', [], { load: [i, i, i], sentAt: at }), at);
      }
      const other = await h.openAnother();
      const [a, b] = await Promise.all([s.pruneLoad(T0 - 50 * H, 0), other.pruneLoad(T0 - 50 * H, 0)]);
      expect(a.samples + b.samples).toBeGreaterThanOrEqual(20);
      expect(await s.loadSamples(id, 0, T0)).toEqual([]);
      const [hour] = await s.loadHourly(id, T0 - 101 * H, T0);
      expect(hour).toMatchObject({ samples: 20, min: [0, 0, 0], max: [19, 19, 19] });
      expect(hour.avg[0]).toBeCloseTo(9.5, 9);
    });

    it('prunes raw samples and hours by their own retention; a removed node takes its history with it', async () => {
      const id = await newNode();
      const gone = await newNode();
      for (const at of [T0 - 100 * H, T0 - 30 * H, T0]) {
        await s.ingestHeartbeat(id, hb('0000000000000a07', [], { load: [1, 1, 1], sentAt: at }), at);
        await s.ingestHeartbeat(gone, hb('0000000000000a07', [], { load: [1, 1, 1], sentAt: at }), at);
      }
      expect(await s.removeNode(gone)).toBe(true);
      expect(await h.scalar(`SELECT COUNT(*) FROM load_samples WHERE node_id = ${gone}`)).toBe(0);
      // Raw samples older than 48 h go into their hours; hours older than 72 h go.
      await s.pruneLoad(T0 - 48 * H, T0 - 72 * H);
      expect((await samples(id)).map((x) => x.at)).toEqual([T0 - 30 * H, T0]);
      expect((await s.loadHourly(id, 0, T0 + H)).map((x) => x.at)).toEqual([T0 - 30 * H, T0]);
      expect(await h.scalar(`SELECT COUNT(*) FROM load_hourly WHERE node_id = ${id}`)).toBe(0);
      await s.pruneLoad(T0 - 24 * H, T0 - 72 * H);
      expect((await samples(id)).map((x) => x.at)).toEqual([T0]);
      expect((await s.loadHourly(id, 0, T0 + H)).map((x) => x.at)).toEqual([T0 - 30 * H, T0]);
      expect((await s.pruneLoad(T0 - 24 * H, T0 - 29 * H)).hours).toBeGreaterThanOrEqual(1);
      expect((await s.loadHourly(id, 0, T0 + H)).map((x) => x.at)).toEqual([T0]);
      expect(await h.scalar(`SELECT COUNT(*) FROM load_hourly WHERE node_id = ${gone}`)).toBe(0);
    });
  });
}
