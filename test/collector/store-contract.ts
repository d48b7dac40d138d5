/**
 * The one suite every Store implementation passes (run on SQLite by store-sqlite.test.ts and on PostgreSQL by
 * store-postgres.test.ts). Each test makes its own nodes and user ids, so tests share one fresh database per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/collector/errors.js';
import { MAX_CLOCK_AHEAD_MS, hourOf } from '../../src/collector/store/ingest-plan.js';
import type { HeartbeatInput, IngestRecord, IngestResult, Store } from '../../src/collector/store/store.js';
import { hashToken } from '../../src/collector/tokens.js';
import { MAX_SEQ_AHEAD } from '../../src/protocol/seq-bound.js';
import type { StoreHarness } from './store-harness.js';

const T0 = Date.UTC(2026, 2, 15, 12, 0, 0); // 2026-03-15 12:00 UTC, inside the March period (reset day 1)
const H = 3_600_000;
let tokenSeq = 0;

export function rec(seq: number, rx: bigint | number, tx: bigint | number, to = T0 + seq * 1000): IngestRecord {
  return { seq, from: to - 1000, to, rx: BigInt(rx), tx: BigInt(tx), events: [] };
}

export function hb(epoch: string, records: IngestRecord[], extra: Partial<HeartbeatInput> = {}): HeartbeatInput {
  return {
    epoch,
    records,
    load: [0.5, 0.25, 0.125],
    uptimeSec: 1234,
    bootId: 'boot-1',
    agentVersion: '0.1.0',
    host: { hostname: 'h1', cpus: 2 },
    ...extra,
  };
}

export function storeContract(engine: string, makeHarness: () => Promise<StoreHarness>, skipReason?: string): void {
  describe.skipIf(Boolean(skipReason))(
    `Store contract on ${engine}${skipReason ? ` (skipped: ${skipReason})` : ''}`,
    () => {
      let h: StoreHarness;
      let s: Store;
      const newNode = async (
        opts: { resetDay?: number; timezone?: string; rate?: string; createdAt?: number } = {},
      ) => {
        const token = `token-${engine}-${++tokenSeq}-${Math.random()}`;
        const node = await s.addNode({
          name: `n${tokenSeq}`,
          tokenHash: hashToken(token),
          rate: opts.rate ?? '1',
          resetDay: opts.resetDay ?? 1,
          timezone: opts.timezone ?? 'UTC',
          createdAt: opts.createdAt ?? T0,
        });
        return { node, token };
      };

      beforeAll(async () => {
        h = await makeHarness();
        s = h.store;
      });
      afterAll(async () => {
        await h?.cleanup();
      });

      it('migrations are versioned and a second run changes nothing', async () => {
        const before = await h.scalar('SELECT COUNT(*) FROM schema_migrations');
        await s.migrate();
        expect(await h.scalar('SELECT COUNT(*) FROM schema_migrations')).toBe(before);
        expect(before).toBeGreaterThanOrEqual(2);
        await s.ping();
      });

      it('registers nodes with integer ids and finds them by token hash only', async () => {
        const a = await newNode({ rate: '1.5', resetDay: 7, timezone: 'Asia/Shanghai' });
        const b = await newNode();
        expect(Number.isInteger(a.node.id)).toBe(true);
        expect(b.node.id).toBeGreaterThan(a.node.id);
        expect(a.node).toMatchObject({ rate: '1.5', resetDay: 7, timezone: 'Asia/Shanghai', createdAt: T0 });
        expect((await s.findNodeByTokenHash(hashToken(a.token)))?.node.id).toBe(a.node.id);
        expect(await s.findNodeByTokenHash(hashToken('nope'))).toBeUndefined();
        const auth = await s.getNodeAuth(b.node.id);
        expect(auth?.tokenHash.equals(hashToken(b.token))).toBe(true);
        expect((await s.listNodes()).map((n) => n.id)).toEqual(expect.arrayContaining([a.node.id, b.node.id]));
      });

      it('rotates a token (the old one stops working) and removes a node', async () => {
        const a = await newNode();
        expect(await s.rotateToken(a.node.id, hashToken('fresh-token-xyz'))).toBe(true);
        expect(await s.findNodeByTokenHash(hashToken(a.token))).toBeUndefined();
        expect((await s.findNodeByTokenHash(hashToken('fresh-token-xyz')))?.node.id).toBe(a.node.id);
        await s.ingestHeartbeat(a.node.id, hb('00000000000000aa', [rec(1, 5, 5)]), T0);
        expect(await s.removeNode(a.node.id)).toBe(true);
        expect(await s.removeNode(a.node.id)).toBe(false);
        expect(await s.getNodeStats(a.node.id)).toBeUndefined();
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${a.node.id}`)).toBe(0);
        expect(await s.rotateToken(a.node.id, hashToken('x'))).toBe(false);
      });

      it('stores a heartbeat once: exact totals, a resend is acknowledged and not counted again', async () => {
        const { node } = await newNode();
        const big = (1n << 62n) + 12345n; // above 2^53: must stay exact
        const r1 = await s.ingestHeartbeat(
          node.id,
          hb('0000000000000001', [rec(1, 100, 200), rec(2, big, 1)]),
          T0 + 5000,
        );
        expect(r1).toEqual({ acked: [1, 2], duplicates: 0, inserted: 2 });
        const r2 = await s.ingestHeartbeat(
          node.id,
          hb('0000000000000001', [rec(1, 100, 200), rec(2, big, 1), rec(3, 1, 1)]),
          T0 + 6000,
        );
        expect(r2).toEqual({ acked: [1, 2, 3], duplicates: 2, inserted: 1 });
        const st = await s.getNodeStats(node.id);
        expect(st).toMatchObject({
          totalRx: 101n + big,
          totalTx: 202n,
          periodRx: 101n + big,
          periodTx: 202n,
          load: [0.5, 0.25, 0.125],
          uptimeSec: 1234,
          bootId: 'boot-1',
          agentVersion: '0.1.0',
          host: { hostname: 'h1', cpus: 2 },
          lastEpoch: '0000000000000001',
          lastSeen: T0 + 6000,
        });
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(3);
      });

      it("keeps the node's newest record of its last epoch (the current rate), by seq, across heartbeats", async () => {
        const { node } = await newNode();
        expect((await s.getNodeStats(node.id))?.lastRecord).toBeNull();
        await s.ingestHeartbeat(node.id, hb('00000000000000e1', [rec(1, 10, 20), rec(2, 300, 400)]), T0 + 3000);
        // A heartbeat without records (an idle tick) leaves the newest record as it was; lastSeen moves on.
        await s.ingestHeartbeat(node.id, hb('00000000000000e1', []), T0 + 9000);
        const want = { from: T0 + 1000, to: T0 + 2000, rx: 300n, tx: 400n, receivedAt: T0 + 3000 };
        expect(await s.getNodeStats(node.id)).toMatchObject({ lastRecord: want, lastSeen: T0 + 9000 });
        expect((await s.listNodeStats()).find((n) => n.id === node.id)?.lastRecord).toEqual(want);
        // A new epoch (the agent lost its state) with only idle heartbeats: no record of that epoch, none to rate.
        await s.ingestHeartbeat(node.id, hb('00000000000000e2', []), T0 + 10_000);
        expect((await s.getNodeStats(node.id))?.lastRecord).toBeNull();
        await s.ingestHeartbeat(node.id, hb('00000000000000e2', [rec(1, 7, 8, T0 + 11_000)]), T0 + 11_500);
        expect((await s.listNodeStats()).find((n) => n.id === node.id)?.lastRecord).toEqual({
          from: T0 + 10_000,
          to: T0 + 11_000,
          rx: 7n,
          tx: 8n,
          receivedAt: T0 + 11_500,
        });
      });

      it('keeps seqs per epoch: the same seq in a new epoch is new', async () => {
        const { node } = await newNode();
        await s.ingestHeartbeat(node.id, hb('00000000000000e1', [rec(1, 10, 0), rec(2, 10, 0)]), T0);
        const r = await s.ingestHeartbeat(node.id, hb('00000000000000e2', [rec(1, 7, 0)]), T0);
        expect(r.duplicates).toBe(0);
        const again = await s.ingestHeartbeat(node.id, hb('00000000000000e1', [rec(2, 10, 0)]), T0);
        expect(again).toEqual({ acked: [2], duplicates: 1, inserted: 0 });
        expect((await s.getNodeStats(node.id))?.totalRx).toBe(27n);
      });

      it('a heartbeat without records still updates the node facts and last seen', async () => {
        const { node } = await newNode();
        await s.ingestHeartbeat(node.id, hb('0000000000000003', [], { bootId: null, host: null, load: null }), T0 + 42);
        const st = await s.getNodeStats(node.id);
        expect(st).toMatchObject({ totalRx: 0n, bootId: null, host: null, load: null, lastSeen: T0 + 42 });
      });

      it('dedup survives pruning of the raw records', async () => {
        const { node } = await newNode();
        await s.ingestHeartbeat(
          node.id,
          hb('0000000000000004', [rec(1, 1, 1, T0 - 100 * H), rec(2, 1, 1, T0 - 99 * H)]),
          T0,
        );
        const pruned = await s.prune(T0 - 50 * H, 0);
        expect(pruned.rawRecords).toBeGreaterThanOrEqual(2);
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(0);
        const r = await s.ingestHeartbeat(
          node.id,
          hb('0000000000000004', [rec(1, 1, 1, T0 - 100 * H), rec(2, 1, 1, T0 - 99 * H)]),
          T0,
        );
        expect(r).toEqual({ acked: [1, 2], duplicates: 2, inserted: 0 });
        expect((await s.getNodeStats(node.id))?.totalRx).toBe(2n);
        // The hourly rollup keeps the pruned traffic.
        const series = await s.hourlySeries(node.id, T0 - 101 * H, T0);
        expect(series.reduce((a, p) => a + p.rx, 0n)).toBe(2n);
      });

      it('hourlyTotals: the hourly series as dense rx + tx doubles, an hour without a row as 0', async () => {
        const { node } = await newNode({ createdAt: T0 - 20 * H });
        const big = 2n ** 60n;
        const epoch = '00000000000000d7';
        const at = [T0 - 5 * H + 60_000, T0 - 4 * H + 60_000, T0 - 2 * H + 60_000, T0 - H + 60_000];
        await s.ingestHeartbeat(
          node.id,
          hb(epoch, [rec(1, 100, 7, at[0]), rec(2, big, 5, at[1]), rec(3, 9, 1, at[2]), rec(4, 1, 1, at[3])]),
          T0,
        );
        const series = await s.hourlySeries(node.id, T0 - 10 * H, T0 - H);
        expect(series.map((p) => p.at)).toEqual([T0 - 5 * H, T0 - 4 * H, T0 - 2 * H]);
        const t = await s.hourlyTotals(node.id, T0 - 10 * H, T0 - H);
        expect(t.first).toBe(T0 - 5 * H);
        expect([...t.bytes]).toEqual([107, Number(big + 5n), 0, 10]);
        expect((await s.hourlyTotals(node.id, T0, T0 + H)).bytes.length).toBe(0);
      });

      it('books periods by the record end time: current period, late record to total only, rollover, operator reset', async () => {
        const { node } = await newNode({ resetDay: 10, timezone: 'Europe/Berlin', createdAt: T0 });
        const st0 = await s.getNodeStats(node.id);
        // Period containing 2026-03-15 with reset day 10 in Berlin: 2026-03-10 00:00 CET = 03-09 23:00 UTC.
        expect(st0?.periodStart).toBe(Date.UTC(2026, 2, 9, 23));
        expect(st0?.periodEnd).toBe(Date.UTC(2026, 3, 9, 22)); // 04-10 00:00 CEST
        const epoch = '0000000000000005';
        await s.ingestHeartbeat(node.id, hb(epoch, [rec(1, 100, 10, T0)]), T0);
        await s.ingestHeartbeat(node.id, hb(epoch, [rec(2, 7, 7, Date.UTC(2026, 2, 9, 22, 59))]), T0); // before the period: total only
        let st = await s.getNodeStats(node.id);
        expect([st?.totalRx, st?.periodRx]).toEqual([107n, 100n]);
        await s.ingestHeartbeat(
          node.id,
          hb(epoch, [rec(3, 1000, 1, Date.UTC(2026, 3, 9, 22))]),
          Date.UTC(2026, 3, 9, 22),
        ); // first instant of the next period
        st = await s.getNodeStats(node.id);
        expect(st).toMatchObject({
          totalRx: 1107n,
          periodRx: 1000n,
          periodTx: 1n,
          periodStart: Date.UTC(2026, 3, 9, 22),
        });
        const reset = await s.resetPeriod(node.id, Date.UTC(2026, 3, 12));
        expect(reset).toMatchObject({ periodRx: 0n, periodTx: 0n, periodStart: Date.UTC(2026, 3, 12), totalRx: 1107n });
        expect(reset?.periodEnd).toBe(Date.UTC(2026, 4, 9, 22));
        await s.ingestHeartbeat(node.id, hb(epoch, [rec(4, 5, 5, Date.UTC(2026, 3, 11))]), Date.UTC(2026, 3, 12, 1)); // before the reset: total only
        await s.ingestHeartbeat(node.id, hb(epoch, [rec(5, 6, 6, Date.UTC(2026, 3, 13))]), Date.UTC(2026, 3, 13));
        st = await s.getNodeStats(node.id);
        expect([st?.totalRx, st?.periodRx]).toEqual([1118n, 6n]);
        expect(await s.resetPeriod(987654, T0)).toBeUndefined();
      });

      it('takes a record dated far ahead of the collector clock at the collector clock (period and hour)', async () => {
        const { node } = await newNode({ createdAt: T0 });
        await s.ingestHeartbeat(node.id, hb('0000000000000015', [rec(1, 100, 1, Date.UTC(2036, 0, 1))]), T0);
        const st = await s.getNodeStats(node.id);
        expect(st?.periodStart).toBeLessThanOrEqual(T0);
        expect([st?.totalRx, st?.periodRx]).toEqual([100n, 100n]);
        expect(await s.hourlySeries(node.id, T0 - H, T0 + H)).toEqual([
          { at: hourOf(T0 + MAX_CLOCK_AHEAD_MS), rx: 100n, tx: 1n },
        ]);
      });

      it('refuses a total above 2^63-1 and leaves nothing written', async () => {
        const { node } = await newNode();
        const max = (1n << 63n) - 1n;
        await s.ingestHeartbeat(node.id, hb('0000000000000006', [rec(1, max - 10n, 0)]), T0);
        const err = await s
          .ingestHeartbeat(node.id, hb('0000000000000006', [rec(2, 5, 0), rec(3, 6, 0)]), T0 + 1)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(CollectorError);
        expect((err as CollectorError).code).toBe('TC_COUNTER_OVERFLOW');
        expect(await s.getNodeStats(node.id)).toMatchObject({ totalRx: max - 10n, lastSeen: T0 });
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(1);
        const ok = await s.ingestHeartbeat(node.id, hb('0000000000000006', [rec(2, 10, 0)]), T0 + 2);
        expect(ok.inserted).toBe(1);
        expect((await s.getNodeStats(node.id))?.totalRx).toBe(max);
      });

      it('a failure in the middle of a heartbeat leaves nothing half-written', async () => {
        const { node } = await newNode();
        await s.ingestHeartbeat(node.id, hb('0000000000000007', [rec(1, 1, 1)]), T0);
        await h.exec(h.sabotageHourly.on);
        try {
          await expect(s.ingestHeartbeat(node.id, hb('0000000000000007', [rec(2, 50, 50)]), T0 + 9)).rejects.toThrow(
            /sabotage/,
          );
        } finally {
          await h.exec(h.sabotageHourly.off);
        }
        expect(await s.getNodeStats(node.id)).toMatchObject({ totalRx: 1n, lastSeen: T0 });
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(1);
        expect(await h.scalar(`SELECT seq FROM epoch_high_water WHERE node_id = ${node.id}`)).toBe(1);
        // And the record is not lost: sent again, it is stored.
        expect((await s.ingestHeartbeat(node.id, hb('0000000000000007', [rec(2, 50, 50)]), T0 + 10)).inserted).toBe(1);
      });

      it('finds a node by token hash again after a rotation or removal, whether by this store or another on the same database', async () => {
        const other = await h.openAnother();
        const a = await newNode();
        const oldHash = hashToken(a.token);
        for (let i = 0; i < 2; i++) expect((await s.findNodeByTokenHash(oldHash))?.node.id).toBe(a.node.id);
        const newHash = hashToken(`${a.token}-rotated`);
        expect(await other.rotateToken(a.node.id, newHash)).toBe(true);
        expect(await s.findNodeByTokenHash(oldHash)).toBeUndefined();
        expect((await s.findNodeByTokenHash(newHash))?.node.id).toBe(a.node.id);
        expect(await s.rotateToken(a.node.id, oldHash)).toBe(true);
        expect(await s.findNodeByTokenHash(newHash)).toBeUndefined();
        expect((await s.findNodeByTokenHash(oldHash))?.tokenHash.equals(oldHash)).toBe(true);
        expect(await other.removeNode(a.node.id)).toBe(true);
        expect(await s.findNodeByTokenHash(oldHash)).toBeUndefined();
        const b = await newNode();
        expect((await s.findNodeByTokenHash(hashToken(b.token)))?.node.id).toBe(b.node.id);
        expect(await s.removeNode(b.node.id)).toBe(true);
        expect(await s.findNodeByTokenHash(hashToken(b.token))).toBeUndefined();
      });

      it('a heartbeat carrying the token it was authenticated with is refused, writing nothing, once another store rotated that token or removed the node', async () => {
        const other = await h.openAnother();
        const a = await newNode();
        const oldHash = hashToken(a.token);
        const looked = await s.findNodeByTokenHash(oldHash, { checkedOnWrite: true });
        expect(looked?.node.id).toBe(a.node.id);
        const beat = (seq: number, tokenHash: Buffer) =>
          s.ingestHeartbeat(a.node.id, hb('00000000000000a7', [rec(seq, 10, 1)], { tokenHash }), T0 + seq);
        expect((await beat(1, oldHash)).inserted).toBe(1);
        const newHash = hashToken(`${a.token}-rotated`);
        expect(await other.rotateToken(a.node.id, newHash)).toBe(true);
        // Whatever the lookup answered meanwhile (a cache may still name the node), the write refuses the old token.
        await expect(beat(2, oldHash)).rejects.toMatchObject({ code: 'TC_UNAUTHORIZED' });
        expect(await s.findNodeByTokenHash(oldHash, { checkedOnWrite: true })).toBeUndefined();
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${a.node.id}`)).toBe(1);
        expect((await s.getNodeStats(a.node.id))?.totalRx).toBe(10n);
        // The new token is taken, the same record with it counted once.
        expect((await s.findNodeByTokenHash(newHash, { checkedOnWrite: true }))?.node.id).toBe(a.node.id);
        expect((await beat(2, newHash)).inserted).toBe(1);
        expect(await other.removeNode(a.node.id)).toBe(true);
        await expect(beat(3, newHash)).rejects.toMatchObject({ code: 'TC_UNAUTHORIZED' });
        expect(await s.findNodeByTokenHash(newHash, { checkedOnWrite: true })).toBeUndefined();
      });

      it('heartbeats arriving together each stand alone: one that fails takes nothing of the others with it', async () => {
        const a = await newNode(),
          b = await newNode(),
          c = await newNode();
        const max = (1n << 63n) - 1n;
        await s.ingestHeartbeat(b.node.id, hb('000000000000000b', [rec(1, max - 1n, 0)]), T0);
        const [ra, rb, rc] = await Promise.allSettled([
          s.ingestHeartbeat(a.node.id, hb('000000000000000b', [rec(1, 10, 1), rec(2, 20, 2)]), T0 + 1),
          s.ingestHeartbeat(b.node.id, hb('000000000000000b', [rec(2, 5, 0)]), T0 + 1),
          s.ingestHeartbeat(c.node.id, hb('000000000000000b', [rec(1, 30, 3)]), T0 + 1),
        ]);
        expect(ra).toMatchObject({ status: 'fulfilled', value: { acked: [1, 2], inserted: 2 } });
        expect(rb.status === 'rejected' && (rb.reason as CollectorError).code).toBe('TC_COUNTER_OVERFLOW');
        expect(rc).toMatchObject({ status: 'fulfilled', value: { acked: [1], inserted: 1 } });
        expect(await s.getNodeStats(a.node.id)).toMatchObject({ totalRx: 30n, totalTx: 3n });
        expect(await s.getNodeStats(b.node.id)).toMatchObject({ totalRx: max - 1n, lastSeen: T0 });
        expect(await s.getNodeStats(c.node.id)).toMatchObject({ totalRx: 30n, totalTx: 3n });
        expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${b.node.id}`)).toBe(1);
      });

      it('refuses a record further above the high-water seq than an agent can send, and stores nothing of it', async () => {
        const { node } = await newNode();
        const e = '00000000000000a9';
        await s.ingestHeartbeat(node.id, hb(e, [rec(5, 1, 0)]), T0);
        const err = await s
          .ingestHeartbeat(node.id, hb(e, [rec(6, 1, 0), rec(6 + MAX_SEQ_AHEAD, 1, 0)]), T0)
          .catch((x: unknown) => x);
        expect((err as CollectorError).code).toBe('TC_SEQ_TOO_FAR_AHEAD');
        expect((await s.getNodeStats(node.id))?.totalRx).toBe(1n);
        const poison = await s
          .ingestHeartbeat(node.id, hb(e, [rec(Number.MAX_SAFE_INTEGER, 1, 0)]), T0)
          .catch((x) => x);
        expect((poison as CollectorError).code).toBe('TC_SEQ_TOO_FAR_AHEAD');
        // The real next records still count; the edge of the bound is accepted.
        expect(await s.ingestHeartbeat(node.id, hb(e, [rec(6, 1, 0), rec(5 + MAX_SEQ_AHEAD, 1, 0)]), T0)).toEqual({
          acked: [6, 5 + MAX_SEQ_AHEAD],
          duplicates: 0,
          inserted: 2,
        });
        // An epoch the store has never seen takes any first seq (an agent that adds the collector sink late).
        expect(
          (await s.ingestHeartbeat(node.id, hb('00000000000000aa', [rec(3_000_000_000_000, 1, 0)]), T0)).inserted,
        ).toBe(1);
      });

      it("refuses a keyed push further above the epoch's heartbeat high-water seq than an agent can send", async () => {
        const { node } = await newNode();
        const e = '00000000000000ab';
        const day = Math.floor(T0 / 86_400_000) * 86_400;
        const push = (epoch: string, seq: number, u: bigint) => ({
          nodeId: node.id,
          rate: '1',
          recordAt: day,
          rows: [[601, u, 1n]] as Array<[number, bigint, bigint]>,
          idempotencyKey: `${node.id}:${epoch}:${seq}`,
          receivedAt: T0,
        });
        const tooFar = (p: ReturnType<typeof push>) =>
          s.pushUserTraffic(p).then(
            () => 'applied',
            (x: unknown) => (x as CollectorError).code,
          );
        await s.ingestHeartbeat(node.id, hb(e, [rec(5, 1, 0)]), T0);
        expect(await tooFar(push(e, 5 + MAX_SEQ_AHEAD + 1, 100n))).toBe('TC_SEQ_TOO_FAR_AHEAD');
        expect(await tooFar(push(e, Number.MAX_SAFE_INTEGER, 100n))).toBe('TC_SEQ_TOO_FAR_AHEAD');
        // Nothing of a refused push is held: no rows, no key, no push high-water that would turn real pushes away.
        expect(await s.userTraffic(601, day, day + 86_400)).toEqual([]);
        expect(await h.scalar(`SELECT COUNT(*) FROM push_keys WHERE node_id = ${node.id}`)).toBe(0);
        expect(await h.scalar(`SELECT COUNT(*) FROM push_high_water WHERE node_id = ${node.id}`)).toBe(0);
        // The real pushes of the epoch still apply; the edge of the bound is accepted.
        expect(await s.pushUserTraffic(push(e, 6, 1n))).toEqual({ applied: true });
        expect(await s.pushUserTraffic(push(e, 5 + MAX_SEQ_AHEAD, 2n))).toEqual({ applied: true });
        expect(await s.userTraffic(601, day, day + 86_400)).toEqual([{ serverId: node.id, u: 3n, d: 2n }]);
        // The bound follows the heartbeat high-water, not the pushes: a push at the bound does not move it.
        expect(await tooFar(push(e, 5 + 2 * MAX_SEQ_AHEAD, 4n))).toBe('TC_SEQ_TOO_FAR_AHEAD');
        await s.ingestHeartbeat(node.id, hb(e, [rec(6, 1, 0), rec(7, 1, 0)]), T0);
        expect(await s.pushUserTraffic(push(e, 7 + MAX_SEQ_AHEAD, 4n))).toEqual({ applied: true });
        // An epoch without heartbeat records takes any first seq, as heartbeats do.
        expect(await s.pushUserTraffic(push('00000000000000ac', 3_000_000_000_000, 8n))).toEqual({ applied: true });
        expect(await s.userTraffic(601, day, day + 86_400)).toEqual([{ serverId: node.id, u: 15n, d: 4n }]);
      });

      it('throws TC_NODE_NOT_FOUND for an unknown node', async () => {
        const err = await s
          .ingestHeartbeat(999_999, hb('0000000000000008', [rec(1, 1, 1)]), T0)
          .catch((e: unknown) => e);
        expect((err as CollectorError).code).toBe('TC_NODE_NOT_FOUND');
      });

      it('the same records sent concurrently (two stores on one database) are counted once', async () => {
        const other = await h.openAnother();
        const { node } = await newNode();
        const epoch = '0000000000000009';
        for (let round = 0; round < 20; round++) {
          const recs = [rec(round * 2 + 1, 1000, 1), rec(round * 2 + 2, 24, 2)];
          const results = await Promise.all([
            s.ingestHeartbeat(node.id, hb(epoch, recs), T0),
            other.ingestHeartbeat(node.id, hb(epoch, recs), T0),
            s.ingestHeartbeat(node.id, hb(epoch, recs), T0),
            other.ingestHeartbeat(node.id, hb(epoch, recs), T0),
          ]);
          expect(results.reduce((a, r) => a + r.inserted, 0)).toBe(2);
          for (const r of results) expect(r.acked).toEqual(recs.map((x) => x.seq));
        }
        expect(await s.getNodeStats(node.id)).toMatchObject({ totalRx: 20n * 1024n, totalTx: 60n });
      });

      it('keeps an hourly rollup for series and the last 24 hours', async () => {
        const { node } = await newNode();
        const base = Date.UTC(2026, 2, 20, 10);
        await s.ingestHeartbeat(
          node.id,
          hb('000000000000000a', [
            rec(1, 1, 10, base + 60_000),
            rec(2, 2, 20, base + 120_000),
            rec(3, 4, 40, base + H + 5),
            rec(4, 8, 80, base - 30 * H),
          ]),
          base + H + 5,
        );
        expect(await s.hourlySeries(node.id, base - H, base + 2 * H)).toEqual([
          { at: base, rx: 3n, tx: 30n },
          { at: base + H, rx: 4n, tx: 40n },
        ]);
        const since = await s.trafficSince(base - 23 * H);
        expect(since.get(node.id)).toEqual({ rx: 7n, tx: 70n });
      });

      it('lists every node with stats', async () => {
        const { node } = await newNode();
        const all = await s.listNodeStats();
        const mine = all.find((x) => x.id === node.id);
        expect(mine).toMatchObject({ totalRx: 0n, lastSeen: null, load: null });
        await s.markSeen(node.id, T0 + 77);
        expect((await s.getNodeStats(node.id))?.lastSeen).toBe(T0 + 77);
      });

      describe('conflicting resends (content digests)', () => {
        const conflictOf = (r: IngestResult) => r.conflict;

        it('a resend of a held seq with the same contents is a duplicate, however its events are ordered', async () => {
          const { node } = await newNode();
          const e = '00000000000000d1';
          const one = { ...rec(1, 10, 20), events: ['reboot', 'reset:eth0'] };
          await s.ingestHeartbeat(node.id, hb(e, [one, rec(2, 1, 1)]), T0);
          const again = await s.ingestHeartbeat(
            node.id,
            hb(e, [{ ...one, events: ['reset:eth0', 'reboot', 'reboot'] }, rec(2, 1, 1)]),
            T0 + 1,
          );
          expect(again).toEqual({ acked: [1, 2], duplicates: 2, inserted: 0 });
        });

        it('a held seq with different contents is a conflict: the records before it are stored, it and the rest are not', async () => {
          const { node } = await newNode();
          const e = '00000000000000d2';
          await s.ingestHeartbeat(node.id, hb(e, [rec(1, 10, 0), rec(2, 20, 0)]), T0);
          const r = await s.ingestHeartbeat(node.id, hb(e, [rec(2, 20, 0), rec(3, 5, 0)]), T0 + 1);
          expect(r).toEqual({ acked: [2, 3], duplicates: 1, inserted: 1 });
          // A second writer: seq 3 again with other bytes, then its own seq 4.
          const c = await s.ingestHeartbeat(node.id, hb(e, [rec(3, 999, 0), rec(4, 7, 0)]), T0 + 2);
          expect(conflictOf(c)).toEqual({ seq: 3, reason: 'different-contents' });
          expect(c).toMatchObject({ acked: [], duplicates: 0, inserted: 0 });
          const p = await s.ingestHeartbeat(node.id, hb(e, [rec(2, 20, 0), rec(3, 5, 1), rec(4, 7, 0)]), T0 + 3);
          expect(p).toMatchObject({ acked: [2], duplicates: 1, inserted: 0, conflict: { seq: 3 } });
          expect((await s.getNodeStats(node.id))?.totalRx).toBe(35n);
          expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(3);
          // Different from, to or events count as different contents too.
          for (const other of [
            { ...rec(1, 10, 0), from: T0 - 5 },
            { ...rec(1, 10, 0), to: T0 + 1000 + 1 },
            { ...rec(1, 10, 0), events: ['reboot'] },
          ]) {
            const x = await s.ingestHeartbeat(node.id, hb(e, [other]), T0 + 4);
            expect(conflictOf(x)?.seq).toBe(1);
          }
        });

        it('a seq under the high-water mark that was never stored is a conflict, not a duplicate', async () => {
          const { node } = await newNode();
          const e = '00000000000000d3';
          await s.ingestHeartbeat(node.id, hb(e, [rec(1, 1, 0), rec(5, 1, 0)]), T0);
          const r = await s.ingestHeartbeat(node.id, hb(e, [rec(3, 50, 0)]), T0 + 1);
          expect(conflictOf(r)).toEqual({ seq: 3, reason: 'not-held' });
          expect((await s.getNodeStats(node.id))?.totalRx).toBe(2n);
        });

        it('digests outlive the raw records; once they are pruned too, a resend is an unverified duplicate', async () => {
          const { node } = await newNode();
          const e = '00000000000000d4';
          const old = [rec(1, 1, 1, T0 - 100 * H), rec(2, 2, 2, T0 - 99 * H)];
          await s.ingestHeartbeat(node.id, hb(e, old), T0 - 99 * H);
          await s.ingestHeartbeat(node.id, hb(e, [rec(3, 3, 3, T0 - 10 * H)]), T0 - 10 * H);
          // Raw records older than 50 h go; digests and keys stored in the last 200 h stay.
          const p1 = await s.prune(T0 - 50 * H, T0 - 200 * H);
          expect(p1).toMatchObject({ recordDigests: 0 });
          expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${node.id}`)).toBe(1);
          expect(await s.ingestHeartbeat(node.id, hb(e, old), T0)).toEqual({
            acked: [1, 2],
            duplicates: 2,
            inserted: 0,
          });
          const c = await s.ingestHeartbeat(node.id, hb(e, [rec(2, 2, 3, T0 - 99 * H)]), T0);
          expect(conflictOf(c)).toEqual({ seq: 2, reason: 'different-contents' });
          // Digests stored before T0 - 50 h go too: seqs 1 and 2 can no longer be compared, seq 3 still can.
          const p2 = await s.prune(T0 - 50 * H, T0 - 50 * H);
          expect(p2.recordDigests).toBeGreaterThanOrEqual(2);
          const u = await s.ingestHeartbeat(node.id, hb(e, [rec(2, 2, 3, T0 - 99 * H)]), T0);
          expect(u).toEqual({ acked: [2], duplicates: 1, inserted: 0, unverified: 1 });
          expect(conflictOf(await s.ingestHeartbeat(node.id, hb(e, [rec(3, 0, 3, T0 - 10 * H)]), T0))?.seq).toBe(3);
          expect((await s.getNodeStats(node.id))?.totalRx).toBe(6n);
        });

        it('a keyed push resent with different contents is a conflict and applies nothing; the same contents are a duplicate', async () => {
          const { node } = await newNode();
          const day = Math.floor(T0 / 86_400_000) * 86_400;
          const push = (seq: number, rows: Array<[number, bigint, bigint]>, digest?: bigint) => ({
            nodeId: node.id,
            rate: '1',
            recordAt: day,
            rows,
            idempotencyKey: `${node.id}:00000000000000d5:${seq}`,
            ...(digest === undefined ? {} : { digest }),
            receivedAt: T0,
          });
          expect(await s.pushUserTraffic(push(1, [[501, 1n, 2n]]))).toEqual({ applied: true });
          expect(await s.pushUserTraffic(push(1, [[501, 1n, 2n]]))).toEqual({ applied: false });
          const err = await s.pushUserTraffic(push(1, [[501, 1n, 3n]])).catch((e: unknown) => e);
          expect((err as CollectorError).code).toBe('TC_RECORD_CONFLICT');
          // Under the push high-water seq but never applied: a conflict too.
          expect(await s.pushUserTraffic(push(4, [[501, 1n, 1n]]))).toEqual({ applied: true });
          const gap = await s.pushUserTraffic(push(3, [[501, 9n, 9n]])).catch((e: unknown) => e);
          expect((gap as CollectorError).code).toBe('TC_RECORD_CONFLICT');
          expect(await s.userTraffic(501, day, day + 86_400)).toEqual([{ serverId: node.id, u: 2n, d: 3n }]);
          // Keys pruned: a resend at or under the pruned seqs is acknowledged without comparing (unverified).
          expect((await s.prune(0, T0 + 1)).idempotencyKeys).toBeGreaterThanOrEqual(2);
          expect(await s.pushUserTraffic(push(4, [[501, 7n, 7n]]))).toEqual({ applied: false, unverified: true });
          expect(await s.pushUserTraffic(push(5, [[501, 1n, 0n]]))).toEqual({ applied: true });
          expect(await s.userTraffic(501, day, day + 86_400)).toEqual([{ serverId: node.id, u: 3n, d: 3n }]);
        });
      });

      describe('per-user records', () => {
        const day = Math.floor(Date.UTC(2026, 2, 15) / 1000);
        const dayAfter = day + 86_400;

        it('two nodes, the same user, the same day and rate: two rows, and the ranking sums them', async () => {
          const a = await newNode();
          const b = await newNode();
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: [[101, 10n, 100n]],
            receivedAt: T0,
          });
          await s.pushUserTraffic({
            nodeId: b.node.id,
            rate: '1',
            recordAt: day,
            rows: [
              [101, 1n, 2n],
              [102, 5n, 5n],
            ],
            receivedAt: T0,
          });
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: [[101, 1n, 1n]],
            receivedAt: T0,
          });
          expect(await h.scalar('SELECT COUNT(*) FROM stat_user WHERE user_id = 101')).toBe(2);
          const rank = (await s.rankUsers(day, dayAfter, 100)).filter((u) => u.userId === 101 || u.userId === 102);
          expect(rank).toEqual([
            { userId: 101, u: 12n, d: 103n },
            { userId: 102, u: 5n, d: 5n },
          ]);
          expect(await s.userTraffic(101, day, dayAfter)).toEqual([
            { serverId: a.node.id, u: 11n, d: 101n },
            { serverId: b.node.id, u: 1n, d: 2n },
          ]);
          expect(await s.nodeUsers(b.node.id, day, dayAfter, 10)).toEqual([
            { userId: 102, u: 5n, d: 5n },
            { userId: 101, u: 1n, d: 2n },
          ]);
          expect(await s.nodeUsers(b.node.id, dayAfter, dayAfter + 86_400, 10)).toEqual([]);
          expect((await s.getNodeStats(a.node.id))?.lastSeen).toBe(T0);
        });

        it('a different rate or day is a different row', async () => {
          const a = await newNode();
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: [[201, 1n, 1n]],
            receivedAt: T0,
          });
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '2',
            recordAt: day,
            rows: [[201, 2n, 2n]],
            receivedAt: T0,
          });
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: dayAfter,
            rows: [[201, 4n, 4n]],
            receivedAt: T0,
          });
          expect(await h.scalar('SELECT COUNT(*) FROM stat_user WHERE user_id = 201')).toBe(3);
          expect(await s.userTraffic(201, day, dayAfter)).toEqual([{ serverId: a.node.id, u: 3n, d: 3n }]);
        });

        it('an idempotency key already applied is acknowledged and not applied again, also concurrently', async () => {
          const a = await newNode();
          const other = await h.openAnother();
          const key = `${a.node.id}:00000000000000bb:1`;
          const push = {
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: [[301, 7n, 9n]] as Array<[number, bigint, bigint]>,
            idempotencyKey: key,
            receivedAt: T0,
          };
          const res = await Promise.all([
            s.pushUserTraffic(push),
            other.pushUserTraffic(push),
            s.pushUserTraffic(push),
          ]);
          expect(res.filter((r) => r.applied)).toHaveLength(1);
          expect(await s.pushUserTraffic(push)).toEqual({ applied: false });
          expect(await s.userTraffic(301, day, dayAfter)).toEqual([{ serverId: a.node.id, u: 7n, d: 9n }]);
          // Keys are per node and prunable, but an agent key (<node>:<epoch>:<seq>) is still known after pruning by the
          // per-(node, epoch) high-water seq; a key of another form applies again once pruned.
          const foreign = { ...push, idempotencyKey: 'xrayr-batch-17' };
          expect(await s.pushUserTraffic(foreign)).toEqual({ applied: true });
          expect((await s.prune(0, T0 + 1)).idempotencyKeys).toBeGreaterThanOrEqual(2);
          expect(await s.pushUserTraffic(push)).toEqual({ applied: false, unverified: true });
          expect(await s.pushUserTraffic({ ...push, idempotencyKey: `${a.node.id}:00000000000000bb:2` })).toEqual({
            applied: true,
          });
          expect(await s.pushUserTraffic(foreign)).toEqual({ applied: true });
        });

        it('rows from before per-node tracking (server_id NULL) stay readable and are summed with the rest', async () => {
          const a = await newNode();
          await h.exec(`INSERT INTO stat_user (user_id, server_id, server_rate, u, d, record_type, record_at, created_at, updated_at)
          VALUES (401, NULL, '1', 1000, 2000, 'd', ${day}, ${day}, ${day})`);
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: [[401, 1n, 2n]],
            receivedAt: T0,
          });
          expect((await s.rankUsers(day, dayAfter, 1000)).find((u) => u.userId === 401)).toEqual({
            userId: 401,
            u: 1001n,
            d: 2002n,
          });
          expect(await s.userTraffic(401, day, dayAfter)).toEqual([
            { serverId: null, u: 1000n, d: 2000n },
            { serverId: a.node.id, u: 1n, d: 2n },
          ]);
        });

        it('applies a push of 1,023 rows (every chunk size) exactly, big counts included', async () => {
          const a = await newNode();
          const big = (1n << 62n) + 7n;
          const rows: Array<[number, bigint, bigint]> = Array.from({ length: 1023 }, (_, i) => [
            2_000_000 + i,
            BigInt(i + 1),
            i === 1022 ? big : 3n,
          ]);
          await s.pushUserTraffic({ nodeId: a.node.id, rate: '1', recordAt: day, rows, receivedAt: T0 });
          await s.pushUserTraffic({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows: rows.slice(0, 3),
            receivedAt: T0,
          });
          expect(await h.scalar(`SELECT COUNT(*) FROM stat_user WHERE server_id = ${a.node.id}`)).toBe(1023);
          expect(await h.scalar(`SELECT SUM(u) FROM stat_user WHERE server_id = ${a.node.id}`)).toBe(
            (1023 * 1024) / 2 + 6,
          );
          expect(await s.userTraffic(2_000_000, day, dayAfter)).toEqual([{ serverId: a.node.id, u: 2n, d: 6n }]);
          expect(await s.userTraffic(2_000_512, day, dayAfter)).toEqual([{ serverId: a.node.id, u: 513n, d: 3n }]);
          expect(await s.userTraffic(2_001_022, day, dayAfter)).toEqual([{ serverId: a.node.id, u: 1023n, d: big }]);
        });

        it('refuses a push that would carry a per-user row past 2^63-1, and applies none of its rows', async () => {
          const a = await newNode();
          const max = (1n << 63n) - 1n;
          const push = (rows: Array<[number, bigint, bigint]>, key?: string) => ({
            nodeId: a.node.id,
            rate: '1',
            recordAt: day,
            rows,
            receivedAt: T0,
            ...(key ? { idempotencyKey: key } : {}),
          });
          await s.pushUserTraffic(push([[601, max - 1n, 1n]]));
          for (const rows of [
            [
              [600, 5n, 5n],
              [601, 2n, 0n],
              [602, 5n, 5n],
            ],
            [
              [601, 0n, max],
              [602, 1n, 1n],
            ],
          ] as Array<Array<[number, bigint, bigint]>>) {
            const err = await s.pushUserTraffic(push(rows)).catch((e: unknown) => e);
            expect((err as CollectorError).code).toBe('TC_USER_COUNTER_OVERFLOW');
          }
          // A keyed push refused for overflow leaves no key behind: the same key applies once the rows fit.
          const key = `${a.node.id}:00000000000000e9:1`;
          const refused = await s.pushUserTraffic(push([[601, 2n, 0n]], key)).catch((e: unknown) => e);
          expect((refused as CollectorError).code).toBe('TC_USER_COUNTER_OVERFLOW');
          expect(await s.pushUserTraffic(push([[601, 1n, 0n]], key))).toEqual({ applied: true });
          expect(await s.nodeUsers(a.node.id, day, dayAfter, 10)).toEqual([{ userId: 601, u: max, d: 1n }]);
        });

        it('sums per-user rows past 2^63-1 exactly in every read, and ranks them in exact order', async () => {
          const a = await newNode();
          const b = await newNode();
          const max = (1n << 63n) - 1n;
          const rows = (uid: number, u: bigint, d: bigint): Array<[number, bigint, bigint]> => [[uid, u, d]];
          for (const n of [a, b])
            for (const at of [day, day + 3600]) {
              await s.pushUserTraffic({
                nodeId: n.node.id,
                rate: '1',
                recordAt: at,
                rows: rows(701, max, max),
                receivedAt: T0,
              });
              await s.pushUserTraffic({
                nodeId: n.node.id,
                rate: '1',
                recordAt: at,
                rows: rows(702, max, max - 1n),
                receivedAt: T0,
              });
            }
          const u4 = 4n * max;
          expect(await s.userTraffic(701, day, dayAfter)).toEqual([
            { serverId: a.node.id, u: 2n * max, d: 2n * max },
            { serverId: b.node.id, u: 2n * max, d: 2n * max },
          ]);
          expect(await s.nodeUsers(a.node.id, day, dayAfter, 10)).toEqual([
            { userId: 701, u: 2n * max, d: 2n * max },
            { userId: 702, u: 2n * max, d: 2n * max - 2n },
          ]);
          const rank = (await s.rankUsers(day, dayAfter, 1000)).filter((x) => x.userId === 701 || x.userId === 702);
          expect(rank).toEqual([
            { userId: 701, u: u4, d: u4 },
            { userId: 702, u: u4, d: u4 - 4n },
          ]);
          // The top of the ranking is the huge pair, in exact order, even with a limit.
          expect((await s.rankUsers(day, dayAfter, 2)).map((x) => x.userId)).toEqual([701, 702]);
        });

        it('pages per-(user, node) sums for reports in key order, rows of no node first, exact past 2^63-1', async () => {
          const a = await newNode();
          const b = await newNode();
          const max = (1n << 63n) - 1n;
          const put = (n: typeof a, at: number, uid: number, u: bigint, d: bigint) =>
            s.pushUserTraffic({ nodeId: n.node.id, rate: '1', recordAt: at, rows: [[uid, u, d]], receivedAt: T0 });
          await put(b, day, 9_000_001, 5n, 6n);
          await put(a, day, 9_000_001, 1n, 2n);
          await put(a, day + 3600, 9_000_001, 10n, 20n);
          await put(a, day, 9_000_002, max, 1n);
          await put(b, day, 9_000_002, max, 2n);
          await put(a, day + 3600, 9_000_002, max, 0n);
          await put(a, dayAfter, 9_000_001, 1000n, 1000n); // outside the range
          // A legacy row with no node (pushed before rows carried server_id).
          await h.exec(
            `INSERT INTO stat_user (user_id, server_id, server_rate, u, d, record_type, record_at, created_at, updated_at)
             VALUES (9000002, NULL, '1', 7, 8, 'd', ${day}, ${day}, ${day})`,
          );
          const all: Array<{ userId: number; serverId: number | null; u: bigint; d: bigint }> = [];
          let after: { userId: number; serverId: number | null } | null = { userId: 9_000_000, serverId: 0 };
          for (;;) {
            const page = await s.userNodeTotalsPage(day, dayAfter, after, 2);
            all.push(...page.filter((r) => r.userId < 9_000_003));
            if (page.length < 2 || page[page.length - 1].userId >= 9_000_003) break;
            after = page[page.length - 1];
          }
          expect(all).toEqual([
            { userId: 9_000_001, serverId: a.node.id, u: 11n, d: 22n },
            { userId: 9_000_001, serverId: b.node.id, u: 5n, d: 6n },
            { userId: 9_000_002, serverId: null, u: 7n, d: 8n },
            { userId: 9_000_002, serverId: a.node.id, u: 2n * max, d: 1n },
            { userId: 9_000_002, serverId: b.node.id, u: max, d: 2n },
          ]);
        });

        it('pages daily per-user-per-node traffic in (user, node, day) order, rates summed, no legacy rows', async () => {
          const a = await newNode();
          const b = await newNode();
          const put = (n: typeof a, at: number, uid: number, u: bigint, d: bigint, rate = '1') =>
            s.pushUserTraffic({ nodeId: n.node.id, rate, recordAt: at, rows: [[uid, u, d]], receivedAt: T0 });
          await put(a, day, 9_100_001, 1n, 2n);
          await put(a, day, 9_100_001, 10n, 20n, '2'); // a second rate on the same day: one row, summed
          await put(a, dayAfter, 9_100_001, 100n, 0n);
          await put(b, day, 9_100_001, 5n, 5n);
          await put(a, day, 9_100_002, 7n, 0n);
          await h.exec(
            `INSERT INTO stat_user (user_id, server_id, server_rate, u, d, record_type, record_at, created_at, updated_at)
             VALUES (9100002, NULL, '1', 9, 9, 'd', ${day}, ${day}, ${day})`,
          );
          const got: Array<{ userId: number; serverId: number; recordAt: number; bytes: bigint }> = [];
          let after = { userId: 9_100_000, serverId: 0, recordAt: 0, bytes: 0n };
          for (;;) {
            const page = await s.userNodeDailyPage(day, dayAfter + 86_400, after, 2);
            got.push(...page.filter((r) => r.userId < 9_100_003));
            if (page.length < 2 || page[page.length - 1].userId >= 9_100_003) break;
            after = page[page.length - 1];
          }
          expect(got).toEqual([
            { userId: 9_100_001, serverId: a.node.id, recordAt: day, bytes: 33n },
            { userId: 9_100_001, serverId: a.node.id, recordAt: dayAfter, bytes: 100n },
            { userId: 9_100_001, serverId: b.node.id, recordAt: day, bytes: 10n },
            { userId: 9_100_002, serverId: a.node.id, recordAt: day, bytes: 7n },
          ]);
        });

        it('pages daily per-user-per-node traffic the same at any page size, across users with rows only out of range', async () => {
          const a = await newNode();
          const b = await newNode();
          const put = (n: typeof a, at: number, uid: number, bytes: bigint, rate = '1') =>
            s.pushUserTraffic({ nodeId: n.node.id, rate, recordAt: at, rows: [[uid, bytes, 0n]], receivedAt: T0 });
          // 9_200_001: many days before the range (stored rows that every page must step over), one inside.
          for (let k = 1; k <= 5; k++) await put(a, day - k * 86_400, 9_200_001, BigInt(k));
          await put(b, day, 9_200_001, 11n);
          await put(a, day, 9_200_002, 1n, '2'); // two rates of one day: one row, summed
          await put(a, day, 9_200_002, 2n);
          await put(b, dayAfter, 9_200_002, 3n);
          for (let k = 1; k <= 4; k++) await put(b, day - k * 86_400, 9_200_003, 1n); // nothing in range
          await put(a, dayAfter, 9_200_004, 4n);
          const read = async (limit: number) => {
            const got: Array<[number, number, number, bigint]> = [];
            let after = { userId: 9_200_000, serverId: 0, recordAt: 0, bytes: 0n };
            for (;;) {
              const page = await s.userNodeDailyPage(day, dayAfter + 86_400, after, limit);
              expect(page.length).toBeLessThanOrEqual(limit);
              got.push(
                ...page
                  .filter((r) => r.userId < 9_200_005)
                  .map((r) => [r.userId, r.serverId, r.recordAt, r.bytes] as [number, number, number, bigint]),
              );
              if (page.length < limit || page[page.length - 1].userId >= 9_200_005) break;
              after = page[page.length - 1];
            }
            return got;
          };
          const whole = [
            [9_200_001, b.node.id, day, 11n],
            [9_200_002, a.node.id, day, 3n],
            [9_200_002, b.node.id, dayAfter, 3n],
            [9_200_004, a.node.id, dayAfter, 4n],
          ];
          for (const limit of [1, 2, 3, 1000]) expect(await read(limit)).toEqual(whole);
        });

        it('sums node traffic over whole hours for reports', async () => {
          const a = await newNode();
          await s.ingestHeartbeat(a.node.id, hb('00000000000000r1', [rec(1, 100, 200, T0 + 10_000)]), T0 + 20_000);
          await s.ingestHeartbeat(a.node.id, hb('00000000000000r1', [rec(2, 5, 6, T0 + H + 10_000)]), T0 + H + 20_000);
          const hour = hourOf(T0 + 10_000);
          expect((await s.nodeTrafficBetween(hour, hour + H)).get(a.node.id)).toEqual({ rx: 100n, tx: 200n });
          expect((await s.nodeTrafficBetween(hour, hour + 2 * H)).get(a.node.id)).toEqual({ rx: 105n, tx: 206n });
          expect((await s.nodeTrafficBetween(hour + 2 * H, hour + 3 * H)).has(a.node.id)).toBe(false);
        });

        it('applies 10,000 rows of one push in one transaction', async () => {
          const a = await newNode();
          const rows: Array<[number, bigint, bigint]> = Array.from({ length: 10_000 }, (_, i) => [
            1_000_000 + i,
            BigInt(i),
            1n,
          ]);
          await s.pushUserTraffic({ nodeId: a.node.id, rate: '1', recordAt: day, rows, receivedAt: T0 });
          await s.pushUserTraffic({ nodeId: a.node.id, rate: '1', recordAt: day, rows, receivedAt: T0 });
          expect(await h.scalar(`SELECT COUNT(*) FROM stat_user WHERE server_id = ${a.node.id}`)).toBe(10_000);
          expect(await s.nodeUsers(a.node.id, day, dayAfter, 1)).toEqual([{ userId: 1_009_999, u: 19_998n, d: 2n }]);
        });
      });
    },
  );
}
