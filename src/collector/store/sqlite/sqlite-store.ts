/**
 * SQLite implementation of Store (better-sqlite3, WAL, synchronous=NORMAL). All work is synchronous inside one
 * db.transaction per call, so a heartbeat is atomic and needs no row locks (one writer connection per process;
 * a second process on the same file waits on SQLite's write lock, busy_timeout 5 s).
 *
 * Group commit of heartbeats: a commit costs several times the statements of one heartbeat (WAL frames written per
 * commit), so ingestHeartbeat queues its heartbeat and the heartbeats queued during one turn of the event loop are
 * applied together at setImmediate, in ONE transaction (BEGIN IMMEDIATE) with a SAVEPOINT around each:
 * - a heartbeat that throws is rolled back to its savepoint (all of its writes or none) and only its promise rejects;
 * - every promise settles only after the COMMIT, so no answer acknowledges a record that is not durable yet;
 * - if the transaction as a whole fails (COMMIT refused, or SQLite rolled the whole transaction back on an I/O, full
 *   or busy error), nothing of the batch was written and each heartbeat is applied again alone, in its own
 *   transaction, exactly as without batching.
 *
 * WAL auto-checkpoint every WAL_AUTOCHECKPOINT_PAGES (SQLite's default is 1000): a checkpoint writes each page once
 * however many frames of it the WAL holds, and a heartbeat touches a few hot pages (stats, high-water, hourly and the
 * raw records' tail), so a longer WAL between checkpoints means far fewer page writes and fsyncs per heartbeat. The
 * WAL file grows to about 40 MB; durability is unchanged (a commit is in the WAL before its answer, as before).
 */
import { checkHeartbeatToken } from '../heartbeat-token.js';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { pushDigest } from '../../../protocol/record-digest.js';
import { parseIdempotencyKey } from '../../../protocol/uniproxy.js';
import { CollectorError } from '../../errors.js';
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
import { MIGRATIONS, Q, upsertUserStatsSql } from './sql.js';
import { UserRows } from '../user-rows.js';
import { STORE_MAX } from '../store.js';
import { SqliteQuotaStore } from './sqlite-quota-store.js';
import type { QuotaStore } from '../quota-store.js';

type Row = Record<string, unknown>;

/** The rows of a native SUM query, or undefined when SQLite refused a sum past 2^63-1 ("integer overflow"). */
function exactly(query: () => unknown[]): Row[] | undefined {
  try {
    return query() as Row[];
  } catch (err) {
    if (err instanceof Database.SqliteError && err.message === 'integer overflow') return undefined;
    throw err;
  }
}

/** Zero-padded decimal text of a non-negative sum: orders as text as the numbers do (40 digits hold 2^64 x 2^63). */
const sumText = (v: bigint): string => v.toString().padStart(40, '0');

/** The BigInt aggregates of the exact per-user reads (sql.ts *Exact). */
function registerExactSums(db: Database.Database): void {
  db.aggregate('tc_sum', {
    start: () => 0n,
    step: (t: bigint, v: bigint | null) => t + (v ?? 0n),
    result: sumText,
    safeIntegers: true,
    deterministic: true,
  });
  db.aggregate('tc_sum2', {
    start: () => 0n,
    step: (t: bigint, ...v: Array<bigint | null>) => t + (v[0] ?? 0n) + (v[1] ?? 0n),
    varargs: true,
    result: sumText,
    safeIntegers: true,
    deterministic: true,
  });
}

interface IngestJob {
  nodeId: number;
  hb: HeartbeatInput;
  at: number;
  resolve(r: IngestResult): void;
  reject(err: unknown): void;
}
/** At most this many heartbeats in one group commit (bounds the time the event loop spends in one transaction). */
const MAX_GROUP = 256;
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
/** Nodes kept by findNodeByTokenHash before the cache starts over. */
const AUTH_CACHE_MAX = 100_000;
/** Per-user rows per upsert statement: 512 at a time, then the rest in powers of two (at most 10 statements cached). */
const USER_CHUNKS = [512, 256, 128, 64, 32, 16, 8, 4, 2, 1];
type Stmts = { -readonly [K in keyof typeof Q]: Database.Statement };

/**
 * Opens the file with the store's pragmas and functions. Creates the file and its directory when `create`; otherwise a
 * missing file is an error (SQLITE_CANTOPEN) and nothing is created.
 */
function openDatabase(path: string, create: boolean): Database.Database {
  if (create && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { fileMustExist: !create });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
    registerExactSums(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Applies the pending versioned migrations in one IMMEDIATE transaction (a second process waits, then finds none). */
function migrateDatabase(db: Database.Database): void {
  db.exec(Q.migrationsTable);
  db.transaction(() => {
    const done = new Set(
      db
        .prepare(Q.appliedVersions)
        .all()
        .map((r) => num((r as Row).version)),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      db.prepare(Q.recordMigration).run(m.version, m.name, Date.now());
    }
  }).immediate();
}

export class SqliteStore implements Store {
  readonly engine = 'sqlite' as const;
  private readonly s: Stmts;

  /**
   * The only way to get a SqliteStore: opens the file (see openDatabase), migrates it, prepares every statement, and
   * returns a store ready for any call.
   */
  static async open(path: string, opts: { create?: boolean; loadSampleGapMs?: number } = {}): Promise<SqliteStore> {
    const db = openDatabase(path, opts.create ?? true);
    try {
      migrateDatabase(db);
      return new SqliteStore(path, db, opts.loadSampleGapMs ?? DEFAULT_LOAD_SAMPLE_GAP_MS);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(
    readonly path: string,
    readonly db: Database.Database,
    private readonly loadSampleGapMs: number,
  ) {
    const s: Partial<Stmts> = {};
    for (const [k, sql] of Object.entries(Q)) s[k as keyof Stmts] = db.prepare(sql).safeIntegers(true);
    // The unusual-traffic scan: plain doubles, one value per row (no bigint, no row object per hour).
    s.hourlySpan = db.prepare(Q.hourlySpan).raw(true).safeIntegers(false);
    s.hourlyTotals = db.prepare(Q.hourlyTotals).pluck(true).safeIntegers(false);
    s.hourlyHours = db.prepare(Q.hourlyHours).pluck(true).safeIntegers(false);
    s.userWindowEnd = db.prepare(Q.userWindowEnd).pluck(true).safeIntegers(false);
    this.s = s as Stmts;
    this.heartbeatTransaction = db.transaction(this.applyHeartbeat);
    this.pushTransaction = db.transaction(this.applyPush);
    this.groupTransaction = db.transaction(this.applyGroup);
  }

  async migrate(): Promise<void> {
    migrateDatabase(this.db);
  }

  private quotaStore?: SqliteQuotaStore;
  get quotas(): QuotaStore {
    this.quotaStore ??= new SqliteQuotaStore(this.db);
    return this.quotaStore;
  }

  async ping(): Promise<void> {
    this.s.ping.get();
  }

  async close(): Promise<void> {
    if (this.queue.length) this.flush();
    if (this.db.open) this.db.close();
  }

  async addNode(n: NewNode): Promise<NodeInfo> {
    return this.db.transaction(() => {
      const id = num(
        this.s.insertNode.run(n.name, n.tokenHash, n.rate, n.resetDay, n.timezone, n.createdAt).lastInsertRowid,
      );
      const p = initialPeriod(n.createdAt, n.resetDay, n.timezone);
      this.s.insertStats.run(id, p.start, p.end);
      return toNodeInfo(this.s.nodeById.get(id) as Row);
    })();
  }

  async listNodes(): Promise<NodeInfo[]> {
    return (this.s.listNodes.all() as Row[]).map(toNodeInfo);
  }

  /**
   * Nodes found by token hash, kept while nothing can have changed them: this connection clears the cache when it
   * rotates or removes, and PRAGMA data_version (which moves whenever ANOTHER connection commits, e.g. the CLI or a
   * second collector on the same file) clears it for the rest. Only hits are cached; callers still compare the
   * returned hash in constant time.
   */
  private readonly authCache = new Map<string, { node: NodeInfo; tokenHash: Buffer }>();
  private authCacheVersion: unknown = undefined;

  /** Always up to date (above), so `checkedOnWrite` changes nothing here. */
  async findNodeByTokenHash(tokenHash: Buffer): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const version = (this.s.dataVersion.get() as Row).data_version;
    if (version !== this.authCacheVersion) {
      this.authCache.clear();
      this.authCacheVersion = version;
    }
    const key = tokenHash.toString('latin1');
    const hit = this.authCache.get(key);
    if (hit) return hit;
    const r = this.s.nodeByTokenHash.get(tokenHash) as Row | undefined;
    if (!r) return undefined;
    const found = { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
    if (this.authCache.size >= AUTH_CACHE_MAX) this.authCache.clear();
    this.authCache.set(key, found);
    return found;
  }

  async getNodeAuth(id: number): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined> {
    const r = this.s.nodeAuth.get(id) as Row | undefined;
    return r && { node: toNodeInfo(r), tokenHash: r.token_hash as Buffer };
  }

  async rotateToken(id: number, tokenHash: Buffer): Promise<boolean> {
    this.authCache.clear();
    return this.s.rotateToken.run(tokenHash, id).changes > 0;
  }

  async removeNode(id: number): Promise<boolean> {
    this.authCache.clear();
    return this.s.removeNode.run(id).changes > 0;
  }

  private readonly applyHeartbeat = (nodeId: number, hb: HeartbeatInput, at: number): IngestResult => {
    const r = this.s.ledger.get(hb.epoch, nodeId) as Row | undefined;
    checkHeartbeatToken(hb, r?.token_hash);
    if (!r) throw new CollectorError('TC_NODE_NOT_FOUND');
    const before = toLedger(r, r);
    const held = new Map<number, bigint | null>();
    for (const seq of seqsToCompare(before, hb.records)) {
      const d = this.s.heldDigest.get({ node: nodeId, epoch: hb.epoch, seq }) as Row | undefined;
      if (d) held.set(seq, digestOrNull(d.digest));
    }
    const plan = planIngest(before, hb.records, at, held);
    let inserted = 0;
    for (const rec of plan.fresh) {
      inserted += this.s.insertRecord.run(
        nodeId,
        hb.epoch,
        rec.seq,
        rec.from,
        rec.to,
        rec.rx,
        rec.tx,
        rec.events.length ? JSON.stringify(rec.events) : null,
        at,
        rec.digest,
      ).changes;
    }
    for (const [hour, t] of plan.hours) this.s.addHourly.run(nodeId, hour, t.rx, t.tx);
    const l = plan.ledger;
    const load = planLoadSample(
      toLoadMarks(r),
      { load: hb.load, sentAt: hb.sentAt, records: hb.records.length, fresh: plan.fresh.length },
      at,
      this.loadSampleGapMs,
    );
    if (load) this.s.insertLoadSample.run(nodeId, load.at, ...load.load);
    this.s.updateStats.run(
      l.totalRx,
      l.totalTx,
      l.periodRx,
      l.periodTx,
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
      load?.marks.sentAt ?? null,
      load?.marks.sampledAt ?? null,
      nodeId,
    );
    if (plan.fresh.length) this.s.setHighWater.run(nodeId, hb.epoch, l.highWater, at);
    return ingestResult(plan, inserted);
  };
  private readonly heartbeatTransaction: (nodeId: number, hb: HeartbeatInput, at: number) => IngestResult;

  /** Heartbeats waiting for the next group commit (see the top of this file). */
  private queue: IngestJob[] = [];
  private flushScheduled = false;

  ingestHeartbeat(nodeId: number, hb: HeartbeatInput, receivedAt: number): Promise<IngestResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ nodeId, hb, at: receivedAt, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    while (this.queue.length) {
      const jobs = this.queue.length <= MAX_GROUP ? this.queue : this.queue.slice(0, MAX_GROUP);
      this.queue = jobs === this.queue ? [] : this.queue.slice(MAX_GROUP);
      this.commitGroup(jobs);
    }
  };

  private commitGroup(jobs: IngestJob[]): void {
    if (jobs.length === 1 || !this.db.open) {
      this.applyAlone(jobs);
      return;
    }
    const outcomes: Array<{ ok: true; value: IngestResult } | { ok: false; error: unknown }> = [];
    try {
      this.groupTransaction.immediate(jobs, outcomes);
    } catch {
      // The transaction as a whole failed: nothing of it is written. Each heartbeat on its own, as without batching.
      this.applyAlone(jobs);
      return;
    }
    for (let i = 0; i < jobs.length; i++) {
      const o = outcomes[i];
      if (o.ok) jobs[i].resolve(o.value);
      else jobs[i].reject(o.error);
    }
  }

  private applyAlone(jobs: IngestJob[]): void {
    for (const j of jobs) {
      try {
        j.resolve(this.heartbeatTransaction(j.nodeId, j.hb, j.at));
      } catch (err) {
        j.reject(err);
      }
    }
  }

  private readonly applyGroup = (
    jobs: IngestJob[],
    outcomes: Array<{ ok: true; value: IngestResult } | { ok: false; error: unknown }>,
  ): void => {
    for (const j of jobs) {
      this.s.savepoint.run();
      try {
        outcomes.push({ ok: true, value: this.applyHeartbeat(j.nodeId, j.hb, j.at) });
        this.s.releaseSavepoint.run();
      } catch (error) {
        // SQLite may have rolled the whole transaction back (I/O, full, busy): then the batch is lost as a whole.
        if (!this.db.inTransaction) throw error;
        this.s.rollbackToSavepoint.run();
        this.s.releaseSavepoint.run();
        outcomes.push({ ok: false, error });
      }
    }
  };
  private readonly groupTransaction: Database.Transaction<
    (jobs: IngestJob[], outcomes: Array<{ ok: true; value: IngestResult } | { ok: false; error: unknown }>) => void
  >;

  async resetPeriod(nodeId: number, at: number): Promise<NodeStats | undefined> {
    return this.db.transaction(() => {
      const r = this.s.statsById.get(nodeId) as Row | undefined;
      if (!r) return undefined;
      const n = toNodeStats(r);
      this.s.resetPeriod.run(at, initialPeriod(at, n.resetDay, n.timezone).end, nodeId);
      return toNodeStats(this.s.statsById.get(nodeId) as Row);
    })();
  }

  async markSeen(nodeId: number, at: number): Promise<void> {
    this.s.markSeen.run(at, nodeId);
  }

  async listNodeStats(): Promise<NodeStats[]> {
    return (this.s.listStats.all() as Row[]).map(toNodeStats);
  }

  async getNodeStats(id: number): Promise<NodeStats | undefined> {
    const r = this.s.statsById.get(id) as Row | undefined;
    return r && toNodeStats(r);
  }

  async trafficSince(sinceMs: number): Promise<Map<number, Traffic>> {
    const out = new Map<number, Traffic>();
    for (const r of this.s.trafficSince.all(sinceMs) as Row[])
      out.set(num(r.node_id), { rx: big(r.rx), tx: big(r.tx) });
    return out;
  }

  async hourlySeries(nodeId: number, fromMs: number, toMs: number): Promise<SeriesPoint[]> {
    return (this.s.hourlySeries.all(nodeId, fromMs, toMs) as Row[]).map((r) => ({
      at: num(r.hour),
      rx: big(r.rx),
      tx: big(r.tx),
    }));
  }

  async hourlyTotals(nodeId: number, fromMs: number, toMs: number): Promise<HourlyTotals> {
    // rx + tx past 2^63 becomes a REAL in SQLite: a double, as wanted. One synchronous call: no write in between.
    const [lo, hi] = this.s.hourlySpan.get(nodeId, fromMs, toMs) as [number | null, number | null, number];
    if (lo === null || hi === null) return { first: fromMs, bytes: new Float64Array(0) };
    const bytes = new Float64Array((hi - lo) / HOUR_MS + 1);
    const values = this.s.hourlyTotals.all(nodeId, fromMs, toMs) as number[];
    if (values.length === bytes.length) bytes.set(values);
    else {
      // Hours without a row: place each value by its hour.
      const hours = this.s.hourlyHours.all(nodeId, fromMs, toMs) as number[];
      for (let i = 0; i < hours.length; i++) bytes[(hours[i] - lo) / HOUR_MS] = values[i];
    }
    return { first: lo, bytes };
  }

  async prune(rawBeforeMs: number, keysBeforeMs: number): Promise<PruneResult> {
    return this.db.transaction(() => {
      this.s.keepDigests.run(rawBeforeMs);
      const rawRecords = this.s.pruneRecords.run(rawBeforeMs).changes;
      this.s.markDigestsUnverifiable.run(keysBeforeMs);
      const recordDigests = this.s.pruneDigests.run(keysBeforeMs).changes;
      this.s.markKeysUnverifiable.run(keysBeforeMs);
      return { rawRecords, recordDigests, idempotencyKeys: this.s.pruneKeys.run(keysBeforeMs).changes };
    })();
  }

  async loadSamples(nodeId: number, fromMs: number, toMs: number): Promise<LoadSample[]> {
    return (this.s.loadSamples.all(nodeId, fromMs, toMs) as Row[]).map(toLoadSample);
  }

  async loadHourly(nodeId: number, fromMs: number, toMs: number): Promise<LoadHour[]> {
    return (this.s.loadHourly.all({ node: nodeId, from: fromMs, to: toMs }) as Row[]).map(toLoadHour);
  }

  async pruneLoad(samplesBeforeMs: number, hoursBeforeMs: number): Promise<LoadPruneResult> {
    // One transaction (and SQLite's one writer): every pruned sample is in its hour exactly once.
    return this.db.transaction(() => {
      this.s.rollUpLoad.run(samplesBeforeMs);
      const samples = this.s.pruneLoadSamples.run(samplesBeforeMs).changes;
      return { samples, hours: this.s.pruneLoadHourly.run(hoursBeforeMs).changes };
    })();
  }

  private readonly pushTransaction: (p: UserPush) => PushResult;
  private readonly applyPush = (p: UserPush): PushResult => {
    if (p.idempotencyKey !== undefined) {
      const key = p.idempotencyKey;
      const k = parseIdempotencyKey(key);
      const digest = p.digest ?? pushDigest(p.rows, p.recordAt);
      const hw = k ? (this.s.pushHighWater.get(p.nodeId, k.epoch) as Row | undefined) : undefined;
      const keyInserted =
        this.s.insertPushKey.run(p.nodeId, key, p.receivedAt, digest, k?.epoch ?? null, k?.seq ?? null).changes > 0;
      const held = keyInserted ? undefined : (this.s.pushKeyDigest.get(p.nodeId, key) as Row);
      const decision = decidePush({
        key,
        digest,
        parts: k,
        keyInserted,
        heldDigest: held && digestOrNull(held.digest),
        highWater: hw && { seq: num(hw.seq), unverifiableThrough: num(hw.unverifiable_through) },
        recordHighWater: k ? num((this.s.recordHighWater.get(p.nodeId, k.epoch) as Row).seq) : 0,
      });
      if (decision !== 'apply') {
        this.s.markSeen.run(p.receivedAt, p.nodeId);
        return decision === 'unverified' ? { applied: false, unverified: true } : { applied: false };
      }
      if (k) this.s.raisePushHighWater.run(p.nodeId, k.epoch, k.seq);
    }
    // Rows go in multi-row statements of USER_CHUNKS sizes (largest first), one prepared statement per size.
    const named = { node: p.nodeId, rate: p.rate, recordAt: p.recordAt, now: Math.floor(p.receivedAt / 1000) };
    const rows = UserRows.of(p.rows);
    const raw = p.raw;
    let i = 0;
    let written = 0;
    for (const size of USER_CHUNKS) {
      if (rows.length - i < size) continue;
      const stmt = this.userStmt(size);
      const params = new Array<number | bigint | null>(size * 5);
      while (rows.length - i >= size) {
        for (let j = 0; j < size; j++, i++) {
          params[5 * j] = rows.userId[i];
          params[5 * j + 1] = rows.u[i];
          params[5 * j + 2] = rows.d[i];
          params[5 * j + 3] = raw ? raw.u[i] : null;
          params[5 * j + 4] = raw ? raw.d[i] : null;
        }
        written += stmt.run(...params, named).changes;
      }
    }
    // A row left out by the upsert's guard would have passed 2^63-1: throwing rolls the whole push back.
    if (written < rows.length) throw new CollectorError('TC_USER_COUNTER_OVERFLOW');
    this.s.markSeen.run(p.receivedAt, p.nodeId);
    return { applied: true };
  };

  private readonly userStmts = new Map<number, Database.Statement>();
  private userStmt(size: number): Database.Statement {
    let st = this.userStmts.get(size);
    if (!st) this.userStmts.set(size, (st = this.db.prepare(upsertUserStatsSql(size))));
    return st;
  }

  async pushUserTraffic(push: UserPush): Promise<PushResult> {
    return this.pushTransaction(push);
  }

  async rankUsers(fromSec: number, toSec: number, limit: number): Promise<UserTotal[]> {
    return this.ranked('rankUsers', 'rankUsersExact', [fromSec, toSec, limit]);
  }

  async userTraffic(userId: number, fromSec: number, toSec: number): Promise<UserNodeTotal[]> {
    const args = [userId, fromSec, toSec];
    const rows = exactly(() => this.s.userTraffic.all(...args)) ?? (this.s.userTrafficExact.all(...args) as Row[]);
    return rows.map(toUserNodeTotal);
  }

  async nodeUsers(nodeId: number, fromSec: number, toSec: number, limit: number): Promise<UserTotal[]> {
    return this.ranked('nodeUsers', 'nodeUsersExact', [nodeId, fromSec, toSec, limit]);
  }

  async nodeTrafficBetween(fromMs: number, toMs: number): Promise<Map<number, Traffic>> {
    const out = new Map<number, Traffic>();
    for (const r of this.s.nodeTrafficBetween.all(fromMs, toMs) as Row[])
      out.set(Number(r.node_id), { rx: big(r.rx), tx: big(r.tx) });
    return out;
  }

  async userNodeTotalsPage(
    fromSec: number,
    toSec: number,
    after: UserNodeKey | null,
    limit: number,
    opts: UserNodePageOptions = {},
  ): Promise<UserNodeRow[]> {
    const rows = this.s[opts.rate === 'raw' ? 'userNodeRawTotalsPage' : 'userNodeTotalsPage'].all({
      userFrom: opts.userId ?? 0,
      userTo: opts.userId ?? Number.MAX_SAFE_INTEGER,
      from: fromSec,
      to: toSec,
      afterUser: after?.userId ?? -1,
      afterServer: after ? (after.serverId ?? -1) : -2,
      limit,
    }) as Row[];
    return rows.map(toUserNodeRow);
  }

  async lastDayWithoutRaw(fromSec: number, toSec: number, userId?: number): Promise<number | null> {
    const users = [userId ?? 0, userId ?? Number.MAX_SAFE_INTEGER];
    const day = (this.s.lastDayWithoutRaw.get(fromSec, toSec, ...users) as Row).day;
    return day === null || day === undefined ? null : num(day);
  }

  async userNodeDailyPage(
    fromSec: number,
    toSec: number,
    after: UserNodeDay | null,
    limit: number,
  ): Promise<UserNodeDay[]> {
    // Users in windows of about `limit` stored rows (any day), each grouped and sorted alone: linear in the table,
    // where one query over every row after the key sorted all of them again for each page.
    const out: UserNodeDay[] = [];
    let key = { userId: after?.userId ?? -1, serverId: after?.serverId ?? -1, recordAt: after?.recordAt ?? -1 };
    for (;;) {
      const end = this.s.userWindowEnd.get(key.userId, limit) as number | undefined;
      const rows = this.s.userNodeDailyPage.all({
        from: fromSec,
        to: toSec,
        afterUser: key.userId,
        afterServer: key.serverId,
        afterDay: key.recordAt,
        upToUser: end ?? Number.MAX_SAFE_INTEGER,
        limit: limit - out.length,
      }) as Row[];
      for (const r of rows) out.push(toUserNodeDay(r));
      if (out.length >= limit || end === undefined) return out;
      // Not cut by the limit: every row up to the window's last user is out; the next window starts after it.
      key = { userId: end, serverId: Number.MAX_SAFE_INTEGER, recordAt: Number.MAX_SAFE_INTEGER };
    }
  }

  /**
   * A per-user ranking by native SUM, or, when a sum passes 2^63-1, by the exact BigInt aggregates. SUM raises on
   * overflow; u + d of two sums that fit becomes a float >= 2^63 that sorts first, so the first row tells.
   */
  private ranked(fast: 'rankUsers' | 'nodeUsers', exact: 'rankUsersExact' | 'nodeUsersExact', args: unknown[]) {
    const rows = exactly(() => this.s[fast].all(...args));
    const first = rows?.[0];
    if (rows && (first === undefined || big(first.u) + big(first.d) <= STORE_MAX)) return rows.map(toUserTotal);
    return (this.s[exact].all(...args) as Row[]).map(toUserTotal);
  }
}
