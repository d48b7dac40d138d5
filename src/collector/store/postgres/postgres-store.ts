/**
 * PostgreSQL implementation of Store (pg Pool). Each mutating call is one transaction on one pooled client;
 * heartbeats of one node serialise on its traffic_stats row (SELECT ... FOR UPDATE), so two collector processes
 * on one database never count a record twice; push idempotency keys rely on the primary key of push_keys
 * (INSERT ... ON CONFLICT DO NOTHING waits for a concurrent inserter and then reports 0 rows).
 */
import pg from 'pg';
import { pino } from 'pino';
import { pushDigest } from '../../../protocol/record-digest.js';
import { parseIdempotencyKey } from '../../../protocol/uniproxy.js';
import { CollectorError, type ErrorCode } from '../../errors.js';
import { HOUR_MS, initialPeriod, planIngest, seqsToCompare } from '../ingest-plan.js';
import { DEFAULT_LOAD_SAMPLE_GAP_MS, planLoadSample } from '../load-plan.js';
import { decidePush } from '../push-plan.js';
import {
  big,
  digestOrNull,
  ingestResult,
  num,
  toLedger,
  toLoadHour,
  toLoadMarks,
  toLoadSample,
  toNodeInfo,
  toNodeStats,
  toUserNodeTotal,
  toUserNodeDay,
  toUserNodeRow,
  toUserTotal,
} from '../rows.js';
import type {
  HeartbeatInput,
  HourlyTotals,
  IngestResult,
  LoadHour,
  LoadPruneResult,
  LoadSample,
  NewNode,
  NodeInfo,
  NodeStats,
  PruneResult,
  PushResult,
  SeriesPoint,
  Store,
  Traffic,
  UserNodeDay,
  UserNodeKey,
  UserNodeRow,
  UserNodeTotal,
  UserPush,
  UserTotal,
} from '../store.js';
import { MIGRATION_LOCK_KEY, MIGRATIONS, Q } from './sql.js';
import { PostgresQuotaStore } from './postgres-quota-store.js';
import type { QuotaStore } from '../quota-store.js';
import { UserRows } from '../user-rows.js';

type Row = Record<string, unknown>;
const str = (v: bigint | number): string => v.toString();

/** Where the store reports what it cannot answer to a caller (a pino logger fits). */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

export class PostgresStore implements Store {
  readonly engine = 'postgres' as const;
  readonly pool: pg.Pool;
  readonly quotas: QuotaStore;

  /** The only way to get a PostgresStore: connects, migrates, and returns a store ready for any call. */
  static async open(
    url: string,
    opts: { poolSize?: number; logger?: StoreLogger; loadSampleGapMs?: number } = {},
  ): Promise<PostgresStore> {
    const store = new PostgresStore(
      url,
      opts.poolSize ?? 10,
      opts.logger ?? pino({ level: 'warn' }),
      opts.loadSampleGapMs ?? DEFAULT_LOAD_SAMPLE_GAP_MS,
    );
    try {
      await store.migrate();
      return store;
    } catch (err) {
      // The migration's error is the one to report; ending the pool only frees its clients.
      await store.close().catch(() => undefined);
      throw err;
    }
  }

  private constructor(
    readonly url: string,
    poolSize: number,
    logger: StoreLogger,
    private readonly loadSampleGapMs: number,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max: poolSize });
    // An idle client's error (server restart, connection cut) must not crash the process; the pool drops that client
    // and the next query connects again. Logged, so a flapping database shows.
    this.pool.on('error', (err) => {
      const code: ErrorCode = 'TC_DB_UNAVAILABLE';
      logger.warn(
        { code, err: { message: err.message, code: (err as { code?: string }).code } },
        'idle database connection failed',
      );
    });
    this.quotas = new PostgresQuotaStore(this.pool, (fn) => this.tx(fn));
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await c.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error; // a connection that cannot roll back is discarded by release(err), not reused
      }
      throw err;
    } finally {
      c.release(broken);
    }
  }

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      await c.query(Q.migrationLock, [MIGRATION_LOCK_KEY]);
      await c.query(Q.migrationsTable);
      const done = new Set((await c.query(Q.appliedVersions)).rows.map((r: Row) => num(r.version)));
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query(Q.recordMigration, [m.version, m.name, Date.now()]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.pool.query(Q.ping);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  async addNode(n: NewNode): Promise<NodeInfo> {
    return this.tx(async (c) => {
      const r = (await c.query(Q.insertNode, [n.name, n.tokenHash, n.rate, n.resetDay, n.timezone, n.createdAt]))
        .rows[0] as Row;
      const p = initialPeriod(n.createdAt, n.resetDay, n.timezone);
      await c.query(Q.insertStats, [r.id, p.start, p.end]);
      return toNodeInfo(r);
    });
  }

  async listNodes(): Promise<NodeInfo[]> {
    return (await this.rows(Q.listNodes)).map(toNodeInfo);
  }

  async findNodeByTokenHash(tokenHash: Buffer): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const [r] = await this.rows(Q.nodeByTokenHash, [tokenHash]);
    return r && { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
  }

  async getNodeAuth(id: number): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const [r] = await this.rows(Q.nodeAuth, [id]);
    return r && { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
  }

  async rotateToken(id: number, tokenHash: Buffer): Promise<boolean> {
    return ((await this.pool.query(Q.rotateToken, [tokenHash, id])).rowCount ?? 0) > 0;
  }

  async removeNode(id: number): Promise<boolean> {
    return ((await this.pool.query(Q.removeNode, [id])).rowCount ?? 0) > 0;
  }

  async ingestHeartbeat(nodeId: number, hb: HeartbeatInput, at: number): Promise<IngestResult> {
    return this.tx(async (c) => {
      const r = (await c.query(Q.ledgerForUpdate, [nodeId])).rows[0] as Row | undefined;
      if (!r) throw new CollectorError('TC_NODE_NOT_FOUND');
      const hw = (await c.query(Q.highWater, [nodeId, hb.epoch])).rows[0] as Row | undefined;
      const before = toLedger(r, hw);
      const held = new Map<number, bigint | null>();
      const compare = seqsToCompare(before, hb.records);
      if (compare.length) {
        for (const d of (await c.query(Q.heldDigests, [nodeId, hb.epoch, compare])).rows as Row[])
          held.set(num(d.seq), digestOrNull(d.digest));
      }
      const plan = planIngest(before, hb.records, at, held);
      let inserted = 0;
      if (plan.fresh.length) {
        const f = plan.fresh;
        inserted =
          (
            await c.query(Q.insertRecords, [
              nodeId,
              hb.epoch,
              f.map((x) => x.seq),
              f.map((x) => x.from),
              f.map((x) => x.to),
              f.map((x) => str(x.rx)),
              f.map((x) => str(x.tx)),
              f.map((x) => (x.events.length ? JSON.stringify(x.events) : null)),
              at,
              f.map((x) => str(x.digest)),
            ])
          ).rowCount ?? 0;
        const hours = [...plan.hours.entries()];
        await c.query(Q.addHourly, [
          nodeId,
          hours.map(([h]) => h),
          hours.map(([, t]) => str(t.rx)),
          hours.map(([, t]) => str(t.tx)),
        ]);
      }
      const l = plan.ledger;
      const load = planLoadSample(
        toLoadMarks(r),
        { load: hb.load, sentAt: hb.sentAt, records: hb.records.length, fresh: plan.fresh.length },
        at,
        this.loadSampleGapMs,
      );
      if (load) await c.query(Q.insertLoadSample, [nodeId, load.at, ...load.load]);
      await c.query(Q.updateStats, [
        str(l.totalRx),
        str(l.totalTx),
        str(l.periodRx),
        str(l.periodTx),
        l.periodStart,
        l.periodEnd,
        hb.load?.[0] ?? null,
        hb.load?.[1] ?? null,
        hb.load?.[2] ?? null,
        hb.uptimeSec,
        hb.bootId,
        hb.host ? JSON.stringify(hb.host) : null,
        hb.agentVersion,
        hb.epoch,
        at,
        nodeId,
        load?.marks.sentAt ?? null,
        load?.marks.sampledAt ?? null,
      ]);
      if (plan.fresh.length) await c.query(Q.setHighWater, [nodeId, hb.epoch, l.highWater, at]);
      return ingestResult(plan, inserted);
    });
  }

  async resetPeriod(nodeId: number, at: number): Promise<NodeStats | undefined> {
    return this.tx(async (c) => {
      const r = (await c.query(Q.statsForUpdate, [nodeId])).rows[0] as Row | undefined;
      if (!r) return undefined;
      const n = toNodeStats(r);
      await c.query(Q.resetPeriod, [at, initialPeriod(at, n.resetDay, n.timezone).end, nodeId]);
      return toNodeStats((await c.query(Q.statsById, [nodeId])).rows[0] as Row);
    });
  }

  async markSeen(nodeId: number, at: number): Promise<void> {
    await this.pool.query(Q.markSeen, [at, nodeId]);
  }

  async listNodeStats(): Promise<NodeStats[]> {
    return (await this.rows(Q.listStats)).map(toNodeStats);
  }

  async getNodeStats(id: number): Promise<NodeStats | undefined> {
    const [r] = await this.rows(Q.statsById, [id]);
    return r && toNodeStats(r);
  }

  async trafficSince(sinceMs: number): Promise<Map<number, Traffic>> {
    const out = new Map<number, Traffic>();
    for (const r of await this.rows(Q.trafficSince, [sinceMs]))
      out.set(num(r.node_id), { rx: big(r.rx), tx: big(r.tx) });
    return out;
  }

  async hourlySeries(nodeId: number, fromMs: number, toMs: number): Promise<SeriesPoint[]> {
    return (await this.rows(Q.hourlySeries, [nodeId, fromMs, toMs])).map((r) => ({
      at: num(r.hour),
      rx: big(r.rx),
      tx: big(r.tx),
    }));
  }

  async hourlyTotals(nodeId: number, fromMs: number, toMs: number): Promise<HourlyTotals> {
    const rows = await this.rows(Q.hourlyTotals, [nodeId, fromMs, toMs]);
    if (rows.length === 0) return { first: fromMs, bytes: new Float64Array(0) };
    const first = Number(rows[0].hour);
    const bytes = new Float64Array((Number(rows[rows.length - 1].hour) - first) / HOUR_MS + 1);
    for (const r of rows) bytes[(Number(r.hour) - first) / HOUR_MS] = Number(r.bytes);
    return { first, bytes };
  }

  async prune(rawBeforeMs: number, keysBeforeMs: number): Promise<PruneResult> {
    return this.tx(async (c) => {
      await c.query(Q.keepDigests, [rawBeforeMs]);
      const rawRecords = (await c.query(Q.pruneRecords, [rawBeforeMs])).rowCount ?? 0;
      await c.query(Q.markDigestsUnverifiable, [keysBeforeMs]);
      const recordDigests = (await c.query(Q.pruneDigests, [keysBeforeMs])).rowCount ?? 0;
      await c.query(Q.markKeysUnverifiable, [keysBeforeMs]);
      return { rawRecords, recordDigests, idempotencyKeys: (await c.query(Q.pruneKeys, [keysBeforeMs])).rowCount ?? 0 };
    });
  }

  async loadSamples(nodeId: number, fromMs: number, toMs: number): Promise<LoadSample[]> {
    return (await this.rows(Q.loadSamples, [nodeId, fromMs, toMs])).map(toLoadSample);
  }

  async loadHourly(nodeId: number, fromMs: number, toMs: number): Promise<LoadHour[]> {
    return (await this.rows(Q.loadHourly, [nodeId, fromMs, toMs])).map(toLoadHour);
  }

  async pruneLoad(samplesBeforeMs: number, hoursBeforeMs: number): Promise<LoadPruneResult> {
    return this.tx(async (c) => ({
      samples: num((await c.query(Q.rollUpLoad, [samplesBeforeMs])).rows[0].n),
      hours: (await c.query(Q.pruneLoadHourly, [hoursBeforeMs])).rowCount ?? 0,
    }));
  }

  async pushUserTraffic(p: UserPush): Promise<PushResult> {
    return this.tx(async (c) => {
      if (p.idempotencyKey !== undefined) {
        const key = p.idempotencyKey;
        const k = parseIdempotencyKey(key);
        const digest = p.digest ?? pushDigest(p.rows, p.recordAt);
        const hw = k ? ((await c.query(Q.pushHighWater, [p.nodeId, k.epoch])).rows[0] as Row | undefined) : undefined;
        // The key's row is the arbiter between two collectors taking the same push at once (the second waits on it
        // and then compares digests); the high-water seq catches a resend whose key was already pruned.
        const keyInserted =
          ((
            await c.query(Q.insertPushKey, [p.nodeId, key, p.receivedAt, str(digest), k?.epoch ?? null, k?.seq ?? null])
          ).rowCount ?? 0) > 0;
        const held = keyInserted ? undefined : ((await c.query(Q.pushKeyDigest, [p.nodeId, key])).rows[0] as Row);
        const decision = decidePush({
          key,
          digest,
          parts: k,
          keyInserted,
          heldDigest: held && digestOrNull(held.digest),
          highWater: hw && { seq: num(hw.seq), unverifiableThrough: num(hw.unverifiable_through) },
        });
        if (decision !== 'apply') {
          await c.query(Q.markSeen, [p.receivedAt, p.nodeId]);
          return decision === 'unverified' ? { applied: false, unverified: true } : { applied: false };
        }
        if (k) await c.query(Q.raisePushHighWater, [p.nodeId, k.epoch, k.seq]);
      }
      const rows = UserRows.of(p.rows);
      const raw = p.raw;
      if (rows.length) {
        const n = rows.length;
        const written = await c.query(Q.upsertUserStats, [
          p.nodeId,
          p.rate,
          p.recordAt,
          Math.floor(p.receivedAt / 1000),
          Array.from(rows.userId.subarray(0, n)),
          Array.from(rows.u.subarray(0, n), String),
          Array.from(rows.d.subarray(0, n), String),
          raw ? Array.from(raw.u.subarray(0, n), String) : new Array(n).fill(null),
          raw ? Array.from(raw.d.subarray(0, n), String) : new Array(n).fill(null),
        ]);
        if ((written.rowCount ?? 0) < n) throw new CollectorError('TC_USER_COUNTER_OVERFLOW');
      }
      await c.query(Q.markSeen, [p.receivedAt, p.nodeId]);
      return { applied: true };
    });
  }

  async rankUsers(fromSec: number, toSec: number, limit: number): Promise<UserTotal[]> {
    return (await this.rows(Q.rankUsers, [fromSec, toSec, limit])).map(toUserTotal);
  }

  async userTraffic(userId: number, fromSec: number, toSec: number): Promise<UserNodeTotal[]> {
    return (await this.rows(Q.userTraffic, [userId, fromSec, toSec])).map(toUserNodeTotal);
  }

  async nodeUsers(nodeId: number, fromSec: number, toSec: number, limit: number): Promise<UserTotal[]> {
    return (await this.rows(Q.nodeUsers, [nodeId, fromSec, toSec, limit])).map(toUserTotal);
  }

  async nodeTrafficBetween(fromMs: number, toMs: number): Promise<Map<number, Traffic>> {
    const out = new Map<number, Traffic>();
    for (const r of await this.rows(Q.nodeTrafficBetween, [fromMs, toMs]))
      out.set(Number(r.node_id), { rx: big(r.rx), tx: big(r.tx) });
    return out;
  }

  async userNodeDailyPage(
    fromSec: number,
    toSec: number,
    after: UserNodeDay | null,
    limit: number,
  ): Promise<UserNodeDay[]> {
    const key = [after?.userId ?? -1, after?.serverId ?? -1, after?.recordAt ?? -1];
    return (await this.rows(Q.userNodeDailyPage, [fromSec, toSec, ...key, limit])).map(toUserNodeDay);
  }

  async userNodeTotalsPage(
    fromSec: number,
    toSec: number,
    after: UserNodeKey | null,
    limit: number,
    rate: 'applied' | 'raw' = 'applied',
  ): Promise<UserNodeRow[]> {
    const afterServer = after ? (after.serverId ?? -1) : -2;
    const sql = rate === 'raw' ? Q.userNodeRawTotalsPage : Q.userNodeTotalsPage;
    return (await this.rows(sql, [fromSec, toSec, after?.userId ?? -1, afterServer, limit])).map(toUserNodeRow);
  }

  async lastDayWithoutRaw(fromSec: number, toSec: number): Promise<number | null> {
    const day = (await this.rows(Q.lastDayWithoutRaw, [fromSec, toSec]))[0]?.day;
    return day === null || day === undefined ? null : num(day);
  }
}
