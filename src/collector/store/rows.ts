/** Row -> domain mapping shared by both engines (SQLite gives bigint, pg gives strings for int8/numeric). */
import type { HostFacts } from '../../protocol/heartbeat.js';
import type { Ledger } from './ingest-plan.js';
import type { LoadMarks } from './load-plan.js';
import type {
  IngestResult,
  LoadHour,
  LoadSample,
  NodeInfo,
  NodeStats,
  UserNodeDay,
  UserNodeRow,
  UserNodeTotal,
  UserTotal,
} from './store.js';

type Row = Record<string, unknown>;

export const big = (v: unknown): bigint => (v === null || v === undefined ? 0n : BigInt(v as string | number | bigint));
export const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toNodeInfo(r: Row): NodeInfo {
  return {
    id: num(r.id),
    name: String(r.name),
    rate: String(r.rate),
    resetDay: num(r.reset_day),
    timezone: String(r.timezone),
    createdAt: num(r.created_at),
  };
}

export function toNodeStats(r: Row): NodeStats {
  const l1 = numOrNull(r.load1);
  return {
    ...toNodeInfo(r),
    totalRx: big(r.total_rx),
    totalTx: big(r.total_tx),
    periodRx: big(r.period_rx),
    periodTx: big(r.period_tx),
    periodStart: num(r.period_start),
    periodEnd: num(r.period_end),
    load: l1 === null ? null : [l1, num(r.load5), num(r.load15)],
    uptimeSec: numOrNull(r.uptime_sec),
    bootId: (r.boot_id as string | null) ?? null,
    host: r.host_json ? (JSON.parse(String(r.host_json)) as HostFacts) : null,
    agentVersion: (r.agent_version as string | null) ?? null,
    lastEpoch: (r.last_epoch as string | null) ?? null,
    lastSeen: numOrNull(r.last_seen),
    lastRecord:
      r.last_to === null || r.last_to === undefined
        ? null
        : {
            from: num(r.last_from),
            to: num(r.last_to),
            rx: big(r.last_rx),
            tx: big(r.last_tx),
            receivedAt: num(r.last_received),
          },
  };
}

export const toUserNodeDay = (r: Row): UserNodeDay => ({
  userId: num(r.user_id),
  serverId: num(r.server_id),
  recordAt: num(r.record_at),
  bytes: big(r.bytes),
});
export const toUserNodeRow = (r: Row): UserNodeRow => ({
  userId: num(r.user_id),
  serverId: r.server_id === null || r.server_id === undefined ? null : num(r.server_id),
  u: big(r.u),
  d: big(r.d),
});
export const toUserTotal = (r: Row): UserTotal => ({ userId: num(r.user_id), u: big(r.u), d: big(r.d) });
export const toUserNodeTotal = (r: Row): UserNodeTotal => ({
  serverId: r.server_id === null ? null : num(r.server_id),
  u: big(r.u),
  d: big(r.d),
});

/** The ledger of one node's ingest from its stats row and its (node, epoch) high-water row (absent: none yet). */
export function toLedger(stats: Row, highWater: Row | undefined): Ledger {
  return {
    totalRx: big(stats.total_rx),
    totalTx: big(stats.total_tx),
    periodRx: big(stats.period_rx),
    periodTx: big(stats.period_tx),
    periodStart: num(stats.period_start),
    periodEnd: num(stats.period_end),
    resetDay: num(stats.reset_day),
    timezone: String(stats.timezone),
    highWater: highWater ? num(highWater.seq) : 0,
    unverifiableThrough: highWater ? num(highWater.unverifiable_through) : 0,
  };
}

/** A stored digest (int8 as bigint or pg's string), or null for a row stored before digests existed. */
export const digestOrNull = (v: unknown): bigint | null => (v === null || v === undefined ? null : BigInt(v as string));

/** The result of an ingest as both engines report it (optional fields only when they say something). */
export function ingestResult(
  plan: { acked: number[]; duplicates: number; unverified: number; conflict: IngestResult['conflict'] },
  inserted: number,
): IngestResult {
  return {
    acked: plan.acked,
    duplicates: plan.duplicates,
    inserted,
    ...(plan.unverified ? { unverified: plan.unverified } : {}),
    ...(plan.conflict ? { conflict: plan.conflict } : {}),
  };
}

export const toLoadMarks = (r: Row): LoadMarks => ({
  sentAt: numOrNull(r.load_sent_at),
  sampledAt: numOrNull(r.load_sampled_at),
});
export const toLoadSample = (r: Row): LoadSample => ({
  at: num(r.at),
  load: [num(r.load1), num(r.load5), num(r.load15)],
});
export function toLoadHour(r: Row): LoadHour {
  const n = num(r.samples);
  return {
    at: num(r.hour),
    samples: n,
    avg: [num(r.sum1) / n, num(r.sum5) / n, num(r.sum15) / n],
    min: [num(r.min1), num(r.min5), num(r.min15)],
    max: [num(r.max1), num(r.max5), num(r.max15)],
  };
}
