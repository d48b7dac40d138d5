/**
 * PostgreSQL implementation of Store (pg Pool). Each mutating call is one transaction on one pooled client;
 * heartbeats of one node serialise on its traffic_stats row (SELECT ... FOR UPDATE), so two collector processes
 * on one database never count a record twice; push idempotency keys rely on the primary key of push_keys
 * (INSERT ... ON CONFLICT DO NOTHING waits for a concurrent inserter and then reports 0 rows).
 *
 * Group commit of heartbeats, as SqliteStore does it: a durable commit waits for a WAL flush (an fsync, 1-3 ms on
 * this kind of disk) and a heartbeat alone is eight round trips, so ingestHeartbeat queues its heartbeat and the
 * heartbeats queued meanwhile are applied together (postgres-heartbeat-group.ts): up to MAX_GROUP heartbeats of
 * distinct nodes per transaction, in three round trips whatever their number, up to MAX_GROUPS_IN_FLIGHT
 * transactions at once, each on its own pooled client (a group of one heartbeat too).
 * - every promise settles only after its group's COMMIT, so no answer acknowledges a record that is not durable yet;
 * - a heartbeat the accounting refuses gets its own error and nothing of it is written;
 * - if the transaction as a whole fails (a database error, a lost connection, COMMIT refused), each heartbeat is
 *   applied again alone in its own transaction, exactly as without grouping; a group whose COMMIT did land before
 *   the connection was lost is then recognised record by record as duplicates (digests), never counted twice.
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
  UserNodePageOptions,
  UserNodeRow,
  UserNodeTotal,
  UserPush,
  UserTotal,
} from '../store.js';
import { checkHeartbeatToken } from '../heartbeat-token.js';
import { MIGRATION_LOCK_KEY, MIGRATIONS, Q } from './sql.js';
import { PostgresQuotaStore } from './postgres-quota-store.js';
import { applyHeartbeatGroup, takeGroup, type IngestJob } from './postgres-heartbeat-group.js';
import type { QuotaStore } from '../quota-store.js';
import { UserRows } from '../user-rows.js';

type Row = Record<string, unknown>;
/** Nodes kept by the heartbeats' token lookups before the cache starts over. */
const AUTH_CACHE_MAX = 100_000;
/** At most this many heartbeats in one group commit. */
const MAX_GROUP = 256;
/** At most this many group transactions at once (each holds a pooled client; the rest of the pool serves the API). */
const MAX_GROUPS_IN_FLIGHT = 4;
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
    this.maxGroupsInFlight = Math.max(1, Math.min(MAX_GROUPS_IN_FLIGHT, poolSize - 1));
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

  /** `fn` in one transaction on one pooled client; `begin: false` when fn's first query begins it itself. */
  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>, begin = true): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      if (begin) await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      try {
        await c.query('ROLLBACK'); // outside a transaction (fn failed before its BEGIN) PostgreSQL only warns
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
    // Heartbeats already taken are committed (or refused) before the pool goes.
    while (this.queue.length || this.groupsInFlight.size) {
      this.flush();
      await Promise.allSettled([...this.groupsInFlight]);
    }
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

  /**
   * The lookups asked for during one turn of the event loop go to the database together, in one query: under load
   * a heartbeat's authentication costs a share of one round trip instead of one of its own. Callers still compare the
   * returned hash in constant time.
   *
   * Lookups for heartbeats (`checkedOnWrite`) are answered from a cache of the nodes found: another collector's
   * rotation or removal does not reach it, but the heartbeat's write transaction checks the token again
   * (HeartbeatInput.tokenHash) and refuses it, and the entry is dropped then; this store's own rotations and removals
   * clear the cache. Every other lookup asks the database, so a rotated or removed token is refused at once.
   */
  private authQueue: Array<{ hash: Buffer; resolve(r: Row | undefined): void; reject(err: unknown): void }> = [];
  private readonly authCache = new Map<string, { node: NodeInfo; tokenHash: Buffer }>();

  async findNodeByTokenHash(
    tokenHash: Buffer,
    opts: { checkedOnWrite?: boolean } = {},
  ): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const key = tokenHash.toString('latin1');
    const hit = opts.checkedOnWrite ? this.authCache.get(key) : undefined;
    if (hit) return hit;
    const r = await new Promise<Row | undefined>((resolve, reject) => {
      if (this.authQueue.push({ hash: tokenHash, resolve, reject }) === 1) setImmediate(this.lookUpTokens);
    });
    if (!r) return undefined;
    const found = { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(key, found);
    return found;
  }

  private readonly lookUpTokens = (): void => {
    const asked = this.authQueue;
    this.authQueue = [];
    this.rows(Q.nodesByTokenHashes, [asked.map((a) => a.hash)]).then(
      (rows) => {
        const byHash = new Map(rows.map((r) => [(r.token_hash as Buffer).toString('latin1'), r]));
        for (const a of asked) a.resolve(byHash.get(a.hash.toString('latin1')));
      },
      (err) => {
        for (const a of asked) a.reject(err);
      },
    );
  };

  async getNodeAuth(id: number): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const [r] = await this.rows(Q.nodeAuth, [id]);
    return r && { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
  }

  async rotateToken(id: number, tokenHash: Buffer): Promise<boolean> {
    this.authCache.clear();
    return ((await this.pool.query(Q.rotateToken, [tokenHash, id])).rowCount ?? 0) > 0;
  }

  async removeNode(id: number): Promise<boolean> {
    this.authCache.clear();
    return ((await this.pool.query(Q.removeNode, [id])).rowCount ?? 0) > 0;
  }

  /** Heartbeats waiting for a group commit, and the group transactions under way (see the top of this file). */
  private queue: IngestJob[] = [];
  private flushScheduled = false;
  private readonly groupsInFlight = new Set<Promise<void>>();
  private readonly maxGroupsInFlight: number;

  ingestHeartbeat(nodeId: number, hb: HeartbeatInput, receivedAt: number): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      const refused = (err: unknown) => {
        // The token changed under a cached lookup (another collector rotated it, or removed the node).
        if (hb.tokenHash && err instanceof CollectorError && err.code === 'TC_UNAUTHORIZED')
          this.authCache.delete(hb.tokenHash.toString('latin1'));
        reject(err);
      };
      this.queue.push({ nodeId, hb, at: receivedAt, resolve, reject: refused });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    while (this.queue.length && this.groupsInFlight.size < this.maxGroupsInFlight) {
      const { group, rest } = takeGroup(this.queue, MAX_GROUP);
      this.queue = rest;
      const done: Promise<void> = this.commitGroup(group).finally(() => {
        this.groupsInFlight.delete(done);
        if (this.queue.length) this.scheduleFlush();
      });
      this.groupsInFlight.add(done);
    }
  };

  private async commitGroup(jobs: IngestJob[]): Promise<void> {
    let outcomes: Awaited<ReturnType<typeof applyHeartbeatGroup>> | undefined;
    try {
      // applyHeartbeatGroup sends the BEGIN with its first query (one round trip less).
      outcomes = await this.tx((c) => applyHeartbeatGroup(c, jobs, this.loadSampleGapMs), false);
    } catch {
      // The group's transaction failed as a whole: each heartbeat alone below, as without grouping.
    }
    if (outcomes) {
      for (const [i, o] of outcomes.entries()) {
        if (o.ok) jobs[i].resolve(o.value);
        else jobs[i].reject(o.error);
      }
      return;
    }
    await Promise.all(jobs.map((j) => this.ingestAlone(j.nodeId, j.hb, j.at).then(j.resolve, j.reject)));
  }

  /** One heartbeat in its own transaction: the reference the group commit must match. */
  private async ingestAlone(nodeId: number, hb: HeartbeatInput, at: number): Promise<IngestResult> {
    return this.tx(async (c) => {
      const r = (await c.query(Q.ledgerForUpdate, [nodeId])).rows[0] as Row | undefined;
      checkHeartbeatToken(hb, r?.token_hash);
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
          recordHighWater: k ? num((await c.query(Q.recordHighWater, [p.nodeId, k.epoch])).rows[0].seq) : 0,
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
    opts: UserNodePageOptions = {},
  ): Promise<UserNodeRow[]> {
    const afterServer = after ? (after.serverId ?? -1) : -2;
    const sql = opts.rate === 'raw' ? Q.userNodeRawTotalsPage : Q.userNodeTotalsPage;
    const users = [opts.userId ?? 0, opts.userId ?? Number.MAX_SAFE_INTEGER];
    return (await this.rows(sql, [fromSec, toSec, after?.userId ?? -1, afterServer, limit, ...users])).map(
      toUserNodeRow,
    );
  }

  async lastDayWithoutRaw(fromSec: number, toSec: number, userId?: number): Promise<number | null> {
    const users = [userId ?? 0, userId ?? Number.MAX_SAFE_INTEGER];
    const day = (await this.rows(Q.lastDayWithoutRaw, [fromSec, toSec, ...users]))[0]?.day;
    return day === null || day === undefined ? null : num(day);
  }
}
