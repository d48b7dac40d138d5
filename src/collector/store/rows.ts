/** Row -> domain mapping shared by both engines (SQLite gives bigint, pg gives strings for int8/numeric). */
import type { HostFacts } from '../../protocol/heartbeat.js';
import type { NodeInfo, NodeStats, UserNodeTotal, UserTotal } from './store.js';

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
  };
}

export const toUserTotal = (r: Row): UserTotal => ({ userId: num(r.user_id), u: big(r.u), d: big(r.d) });
export const toUserNodeTotal = (r: Row): UserNodeTotal => ({
  serverId: r.server_id === null ? null : num(r.server_id),
  u: big(r.u),
  d: big(r.d),
});
