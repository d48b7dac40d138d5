/**
 * The collector's one storage interface. Two implementations (sqlite/, postgres/) keep their SQL in one file each
 * (migrations + queries) and pass one shared suite (test/collector/store-contract.ts).
 *
 * Invariants every implementation keeps:
 * - ingestHeartbeat applies a heartbeat in ONE transaction: raw records, hourly rollup, node totals and period
 *   counters, node facts, and the per-(node, epoch) high-water seq. A throw leaves nothing written. (SQLite may commit
 *   several heartbeats in one transaction, each inside its own SAVEPOINT and each promise settled after the COMMIT:
 *   still all of a heartbeat's writes or none; see sqlite/sqlite-store.ts.)
 * - A record is fresh iff its seq is above the node's high-water seq for that epoch (the agent sends ascending and
 *   never reuses a seq), so dedup survives pruning of the raw records. Concurrent ingests for one node serialise on
 *   the node's row (PostgreSQL: SELECT ... FOR UPDATE).
 * - A record at or under the high-water seq is a duplicate only if its content digest (protocol/record-digest.ts)
 *   equals the one held for that (node, epoch, seq); a different digest, or no digest for a seq the store would still
 *   hold one for, is a conflict: that record and the rest of the heartbeat are not applied (IngestResult.conflict).
 *   Digests outlive the raw records (record_digests, pruned with the idempotency keys); a seq whose digest was pruned
 *   (or stored before digests existed) is at or under `unverifiable_through` and counts as an unverified duplicate.
 * - Byte counts are bigint; stored as signed 64-bit integers on both engines, so a node total is capped at 2^63-1
 *   (TC_COUNTER_OVERFLOW, nothing stored), about 9.2 EB.
 * - pushUserTraffic applies one push (rows + idempotency key) in ONE transaction; a key already applied for the node
 *   with the same digest makes it a no-op that still succeeds (applied: false); with a different digest, or an agent key
 *   under the node's push high-water seq that was never applied, it throws TC_RECORD_CONFLICT and applies nothing.
 */
import type { HostFacts } from '../../protocol/heartbeat.js';
import type { QuotaStore } from './quota-store.js';
import type { RawBytes, UserRows, UserRowTuple } from './user-rows.js';

export type Engine = 'sqlite' | 'postgres';

export interface NodeInfo {
  id: number;
  name: string;
  /** Traffic multiplier for per-user records, as a canonical decimal string ("1", "1.5"). */
  rate: string;
  resetDay: number;
  timezone: string;
  createdAt: number;
}

export interface NodeStats extends NodeInfo {
  totalRx: bigint;
  totalTx: bigint;
  /** Counters of the stored period [periodStart, periodEnd); see effectivePeriod() for "now". */
  periodRx: bigint;
  periodTx: bigint;
  periodStart: number;
  periodEnd: number;
  load: [number, number, number] | null;
  uptimeSec: number | null;
  bootId: string | null;
  host: HostFacts | null;
  agentVersion: string | null;
  lastEpoch: string | null;
  lastSeen: number | null;
  /** The newest record of the last epoch (for the current rate), or null when there is none (idle, pruned). */
  lastRecord: LastRecord | null;
}

/** A record's span (agent clock), its bytes, and when the collector received it (collector clock). */
export interface LastRecord {
  from: number;
  to: number;
  rx: bigint;
  tx: bigint;
  receivedAt: number;
}

export interface NewNode {
  name: string;
  tokenHash: Buffer;
  rate: string;
  resetDay: number;
  timezone: string;
  createdAt: number;
}

export interface IngestRecord {
  seq: number;
  from: number;
  to: number;
  rx: bigint;
  tx: bigint;
  events: string[];
}

export interface HeartbeatInput {
  epoch: string;
  records: IngestRecord[];
  /** null when the agent could not read the load average. */
  load: [number, number, number] | null;
  uptimeSec: number;
  bootId: string | null;
  agentVersion: string;
  host: HostFacts | null;
  /** The agent's clock when it sent the heartbeat (the request's sentAt): the identity of its load sample. */
  sentAt?: number;
  /**
   * The hash of the token the heartbeat was authenticated with: when set, the store writes nothing and refuses the
   * heartbeat with TC_UNAUTHORIZED unless the node still has this token, checked inside the transaction that writes
   * (so a lookup answered from a cache, `findNodeByTokenHash(hash, { checkedOnWrite: true })`, never lets a rotated
   * or removed token count anything).
   */
  tokenHash?: Buffer;
}

export interface RecordConflict {
  seq: number;
  /**
   * different-contents: the digest held for this seq differs from the record's.
   * not-held: the seq is under the high-water seq, newer than any pruned digest, and was never stored.
   */
  reason: 'different-contents' | 'not-held';
}

export interface IngestResult {
  /** Seqs of the request held now, in order: all of them, or those before `conflict`. */
  acked: number[];
  duplicates: number;
  inserted: number;
  /** How many of the duplicates could not be compared (their digest was pruned or predates digests); absent when 0. */
  unverified?: number;
  /** The first record that conflicts with what the store holds; it and every record after it were not applied. */
  conflict?: RecordConflict;
}

export interface Traffic {
  rx: bigint;
  tx: bigint;
}
export interface SeriesPoint extends Traffic {
  at: number;
}

/**
 * A node's hourly rx + tx as doubles (for statistics: exact to 2^53 bytes an hour), dense: bytes[i] is the hour
 * starting at first + i h, 0 for an hour without a row (nothing carried); empty when the node has no row in range.
 */
export interface HourlyTotals {
  first: number;
  bytes: Float64Array;
}

export interface UserPush {
  nodeId: number;
  /** The node's rate at push time, canonical decimal string; part of the row key. */
  rate: string;
  /** Start of the local day the traffic was measured on, unix seconds (record_type 'd'). */
  recordAt: number;
  /** [user id, upload, download], already multiplied by the rate (UserRows, or tuples in tests and small callers). */
  rows: UserRows | ReadonlyArray<UserRowTuple>;
  /**
   * The same rows' upload and download before the rate (raw.u[i], raw.d[i] for row i), for reports with rate=raw.
   * Absent: unknown, stored as NULL.
   */
  raw?: RawBytes;
  /** "<nodeId>:<epoch>:<seq>" or undefined. */
  idempotencyKey?: string;
  /** The push's content digest (protocol/record-digest.ts pushDigest); kept with the key. Default: over `rows`. */
  digest?: bigint;
  receivedAt: number;
}

export interface UserTotal {
  userId: number;
  u: bigint;
  d: bigint;
}
export interface UserNodeTotal {
  serverId: number | null;
  u: bigint;
  d: bigint;
}

/** Keyset position in the (user, node) order of a report: user id, then node id with "no node" (null) first. */
export interface UserNodeKey {
  userId: number;
  serverId: number | null;
}
export interface UserNodeRow extends UserNodeKey {
  u: bigint;
  d: bigint;
}

export interface PruneResult {
  rawRecords: number;
  /** Digests of records whose raw row was pruned earlier, dropped now (older than the key retention). */
  recordDigests: number;
  idempotencyKeys: number;
}

/** One kept sample (raw window). */
export interface LoadSample {
  at: number;
  load: [number, number, number];
}

/** One hour of samples: average, least and greatest of load 1/5/15, and how many samples. */
export interface LoadHour {
  at: number;
  samples: number;
  avg: [number, number, number];
  min: [number, number, number];
  max: [number, number, number];
}

export interface LoadPruneResult {
  samples: number;
  hours: number;
}

export interface PushResult {
  applied: boolean;
  /** A resend acknowledged without comparing contents: its key (and digest) was pruned, or predates digests. */
  unverified?: boolean;
}

export interface Store {
  readonly engine: Engine;
  /** Runs pending versioned migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** Quotas, pools and the alert ledger (quota-store.ts); usable after migrate(). */
  readonly quotas: QuotaStore;

  addNode(node: NewNode): Promise<NodeInfo>;
  listNodes(): Promise<NodeInfo[]>;
  /**
   * The node whose token hash equals `tokenHash` (looked up by an index on the hash). `checkedOnWrite`: the caller
   * passes the hash on to ingestHeartbeat (HeartbeatInput.tokenHash), which checks it again as it writes, so the
   * answer may come from a cache that another process's rotation or removal has not reached yet.
   */
  findNodeByTokenHash(
    tokenHash: Buffer,
    opts?: { checkedOnWrite?: boolean },
  ): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined>;
  /** The node and its stored token hash, for an id-plus-token check (compare with timingSafeEqual). */
  getNodeAuth(id: number): Promise<{ node: NodeInfo; tokenHash: Buffer } | undefined>;
  rotateToken(id: number, tokenHash: Buffer): Promise<boolean>;
  removeNode(id: number): Promise<boolean>;

  ingestHeartbeat(nodeId: number, hb: HeartbeatInput, receivedAt: number): Promise<IngestResult>;
  /** Operator reset: the period restarts at `at` with zero counters. */
  resetPeriod(nodeId: number, at: number): Promise<NodeStats | undefined>;
  markSeen(nodeId: number, at: number): Promise<void>;
  listNodeStats(): Promise<NodeStats[]>;
  getNodeStats(id: number): Promise<NodeStats | undefined>;
  /** Per node, bytes of the hourly rollup with hour >= sinceMs. */
  trafficSince(sinceMs: number): Promise<Map<number, Traffic>>;
  /** Hourly points of one node with from <= at < to, ascending. */
  hourlySeries(nodeId: number, fromMs: number, toMs: number): Promise<SeriesPoint[]>;
  /** The same hours as dense rx + tx doubles: the unusual-traffic scan reads 2 million of them at once. */
  hourlyTotals(nodeId: number, fromMs: number, toMs: number): Promise<HourlyTotals>;
  /**
   * Drops raw records with to < rawBeforeMs (their digests are kept), and digests and idempotency keys stored before
   * keysBeforeMs.
   */
  prune(rawBeforeMs: number, keysBeforeMs: number): Promise<PruneResult>;

  /**
   * Load history (load-plan.ts): ingestHeartbeat keeps a node's load samples, exactly once, in the heartbeat's
   * transaction. Raw samples with fromMs <= at < toMs, ascending.
   */
  loadSamples(nodeId: number, fromMs: number, toMs: number): Promise<LoadSample[]>;
  /**
   * Hourly min/avg/max of one node's samples with fromMs <= hour < toMs, ascending: rolled-up hours merged with the
   * raw samples of the same hours (fromMs should be a whole hour).
   */
  loadHourly(nodeId: number, fromMs: number, toMs: number): Promise<LoadHour[]>;
  /**
   * Rolls raw samples with at < samplesBeforeMs up into their hours and drops them (`samples`: how many), then drops
   * hours with hour < hoursBeforeMs (`hours`). Every sample is in its hour exactly once, also with several collectors.
   */
  pruneLoad(samplesBeforeMs: number, hoursBeforeMs: number): Promise<LoadPruneResult>;

  pushUserTraffic(push: UserPush): Promise<PushResult>;
  /** Users by u+d over every node (rows with server_id NULL included), record_at in [fromSec, toSec). */
  rankUsers(fromSec: number, toSec: number, limit: number): Promise<UserTotal[]>;
  userTraffic(userId: number, fromSec: number, toSec: number): Promise<UserNodeTotal[]>;
  nodeUsers(nodeId: number, fromSec: number, toSec: number, limit: number): Promise<UserTotal[]>;

  /** Per node, the hourly rollup summed over fromMs <= hour < toMs (nodes without traffic there are absent). */
  nodeTrafficBetween(fromMs: number, toMs: number): Promise<Map<number, Traffic>>;
  /**
   * One page of a report: per (user, node) sums of the per-user rows with record_at in [fromSec, toSec), in (user id,
   * node id) order with rows of no node (legacy pushes) first for each user, strictly after `after`, at most `limit`.
   * Sums are exact past 2^63-1. Paging by key keeps a report of any size in bounded memory on both engines.
   */
  userNodeTotalsPage(
    fromSec: number,
    toSec: number,
    after: UserNodeKey | null,
    limit: number,
    opts?: UserNodePageOptions,
  ): Promise<UserNodeRow[]>;
  /**
   * The last day (record_at, unix seconds) in [fromSec, toSec) holding a per-user row whose raw (unrated) bytes are
   * unknown (stored before schema v7 at a rate other than 1), or null when every row there knows them.
   */
  lastDayWithoutRaw(fromSec: number, toSec: number, userId?: number): Promise<number | null>;
  /**
   * One page of daily per-user-per-node traffic (u + d of every rate, one row per day), for the unusual-traffic
   * rule: rows of a node only (no legacy rows), in (user, node, day) order strictly after `after`, at most `limit`.
   */
  userNodeDailyPage(fromSec: number, toSec: number, after: UserNodeDay | null, limit: number): Promise<UserNodeDay[]>;
}

export interface UserNodePageOptions {
  /** applied (default): u and d as booked, the node rate applied; raw: as measured (NULL rows count as 0). */
  rate?: 'applied' | 'raw';
  /** Only this user's rows. */
  userId?: number;
}

export interface UserNodeDay {
  userId: number;
  serverId: number;
  /** Local day start, unix seconds (stat_user.record_at). */
  recordAt: number;
  /** u + d of that day (0 in `after` keys). */
  bytes: bigint;
}

/** 2^63-1: the largest byte total either engine stores. */
export const STORE_MAX = (1n << 63n) - 1n;
