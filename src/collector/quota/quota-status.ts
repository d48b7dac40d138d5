/**
 * Each quota's usage now: reads the stored numbers (period counters for a node on its own billing period, the hourly
 * rollup otherwise) and hands them to the pure quota math. JSON views carry byte counts as decimal strings.
 */
import { HOUR_MS, effectivePeriod, hourOf } from '../store/ingest-plan.js';
import type { PoolInfo, QuotaInfo } from '../store/quota-store.js';
import type { NodeStats, Store } from '../store/store.js';
import {
  DAY_MS,
  type PeriodRule,
  type Point,
  type Projection,
  type QuotaStatus,
  type Traffic,
  periodAt,
  quotaStatus,
  sumTraffic,
  trafficBetween,
} from './quota-math.js';

export interface QuotaReport {
  quota: QuotaInfo;
  /** The node's or pool's name. */
  ownerName: string;
  nodeIds: number[];
  status: QuotaStatus;
}

export function periodRule(q: QuotaInfo, owner: { resetDay: number; timezone: string }): PeriodRule {
  if (q.cycleDays !== null && q.cycleStart !== null) return { kind: 'cycle', days: q.cycleDays, start: q.cycleStart };
  return { kind: 'calendar', resetDay: owner.resetDay, timezone: owner.timezone };
}

/** The start of the last-24-hours window on the hourly rollup: the first whole hour at or after now - 24 h. */
export function recentWindowStart(now: number): number {
  const t = now - DAY_MS;
  return hourOf(t) === t ? t : hourOf(t) + HOUR_MS;
}

export async function quotaReports(store: Store, now: number): Promise<QuotaReport[]> {
  const quotas = await store.quotas.listQuotas();
  if (!quotas.length) return [];
  const stats = new Map((await store.listNodeStats()).map((s) => [s.id, s]));
  const pools = new Map((await store.quotas.listPools()).map((p) => [p.id, p]));
  const series = new Map<string, Point[]>();
  const pointsOf = async (nodeId: number, from: number): Promise<Point[]> => {
    const key = `${nodeId}:${from}`;
    let pts = series.get(key);
    if (!pts) series.set(key, (pts = await store.hourlySeries(nodeId, from, now + 2 * HOUR_MS)));
    return pts;
  };
  const windowStart = recentWindowStart(now);
  const out: QuotaReport[] = [];
  for (const q of quotas) {
    const node = q.nodeId !== null ? stats.get(q.nodeId) : undefined;
    const pool: PoolInfo | undefined = q.poolId !== null ? pools.get(q.poolId) : undefined;
    const owner = node ?? pool;
    if (!owner) continue; // removed between the two reads
    const nodeIds = node ? [node.id] : (pool as PoolInfo).nodeIds;
    const rule = periodRule(q, owner);
    const period = periodAt(rule, now);
    const from = Math.min(hourOf(period.start), windowStart);
    const used: Traffic[] = [];
    const recent: Traffic[] = [];
    for (const id of nodeIds) {
      const pts = await pointsOf(id, from);
      recent.push(trafficBetween(pts, windowStart, now + 2 * HOUR_MS));
      used.push(
        node && rule.kind === 'calendar' ? periodCounters(node, now) : trafficBetween(pts, period.start, period.end),
      );
    }
    out.push({
      quota: q,
      ownerName: owner.name,
      nodeIds,
      status: quotaStatus({
        limit: q.limit,
        measure: q.measure,
        thresholds: q.thresholds,
        period,
        used: sumTraffic(used),
        recent: sumTraffic(recent),
        recentMs: now - windowStart,
        now,
      }),
    });
  }
  return out;
}

/** A node on its own billing period: the exact period counters the rankings show (operator resets included). */
function periodCounters(s: NodeStats, now: number): Traffic {
  const p = effectivePeriod(s, now);
  return { rx: p.rx, tx: p.tx };
}

/** Hundredths of a percent -> "96.25", exactly. */
export function percentText(basisPoints: bigint): string {
  return `${basisPoints / 100n}.${(basisPoints % 100n).toString().padStart(2, '0')}`;
}

const projectionView = (p: Projection) => ({ bytesPerSec: p.bytesPerSec.toString(), reachAt: p.reachAt });

export function quotaView(r: QuotaReport) {
  const q = r.quota;
  const s = r.status;
  return {
    id: q.id,
    nodeId: q.nodeId,
    poolId: q.poolId,
    owner: r.ownerName,
    nodeIds: r.nodeIds,
    limit: q.limit.toString(),
    measure: q.measure,
    thresholds: q.thresholds,
    cycleDays: q.cycleDays,
    cycleStart: q.cycleStart,
    channels: q.channels,
    createdAt: q.createdAt,
    usage: {
      used: s.used.toString(),
      percent: percentText(s.basisPoints),
      reached: s.reached,
      periodStart: s.period.start,
      periodEnd: s.period.end,
      projection24h: projectionView(s.projection24h),
      projectionPeriod: projectionView(s.projectionPeriod),
    },
  };
}
export type QuotaView = ReturnType<typeof quotaView>;
