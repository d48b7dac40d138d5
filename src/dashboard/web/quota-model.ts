/**
 * Quotas, pools and alerts as the page shows them, parsed defensively from GET /api/v1/quotas, /pools and /alerts
 * (byte counts as BigInt from decimal strings). No DOM here, so Node tests can import it.
 */
import { formatBytes, formatDateTime, toBig } from './format.js';
import { listOf } from './model.js';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export interface QuotaBarView {
  id: number;
  nodeId: number | null;
  poolId: number | null;
  owner: string;
  nodeIds: number[];
  measure: string;
  used: bigint;
  limit: bigint;
  /** "81.20" */
  percent: string;
  /** Hundredths of a percent, for sorting and the bar width. */
  basisPoints: number;
  reachAt24h: number | null;
  reachAtPeriod: number | null;
  periodEnd: number | null;
}

export interface PoolView {
  id: number;
  name: string;
  nodeIds: number[];
  resetDay: number;
  timezone: string;
}

export interface AlertRowView {
  id: number;
  kind: string;
  title: string;
  firedAt: number;
  state: string;
  deliveries: Array<{ channel: string; state: string; attempts: number; lastError: string | null }>;
}

export function toQuotaBar(raw: unknown): QuotaBarView {
  const o = obj(raw);
  const u = obj(o.usage);
  const percent = typeof u.percent === 'string' && /^\d+\.\d\d$/.test(u.percent) ? u.percent : '0.00';
  return {
    id: Number(o.id),
    nodeId: numOrNull(o.nodeId),
    poolId: numOrNull(o.poolId),
    owner: String(o.owner ?? ''),
    nodeIds: Array.isArray(o.nodeIds) ? o.nodeIds.filter((x): x is number => typeof x === 'number') : [],
    measure: String(o.measure ?? 'sum'),
    used: toBig(u.used),
    limit: toBig(o.limit),
    percent,
    basisPoints: Math.round(Number(percent) * 100),
    reachAt24h: numOrNull(obj(u.projection24h).reachAt),
    reachAtPeriod: numOrNull(obj(u.projectionPeriod).reachAt),
    periodEnd: numOrNull(u.periodEnd),
  };
}

export const toQuotaBars = (body: unknown): QuotaBarView[] => listOf(body, 'quotas').map(toQuotaBar);

export function toPools(body: unknown): PoolView[] {
  return listOf(body, 'pools').map((raw) => {
    const o = obj(raw);
    return {
      id: Number(o.id),
      name: String(o.name ?? ''),
      nodeIds: Array.isArray(o.nodeIds) ? o.nodeIds.filter((x): x is number => typeof x === 'number') : [],
      resetDay: Number(o.resetDay ?? 1),
      timezone: String(o.timezone ?? 'UTC'),
    };
  });
}

export function toAlerts(body: unknown): AlertRowView[] {
  return listOf(body, 'alerts').map((raw) => {
    const o = obj(raw);
    const doc = obj(o.document);
    return {
      id: Number(o.id),
      kind: String(o.kind ?? ''),
      title: String(doc.title ?? o.key ?? ''),
      firedAt: Number(o.firedAt ?? 0),
      state: String(o.state ?? ''),
      deliveries: (Array.isArray(o.deliveries) ? o.deliveries : []).map((d) => {
        const x = obj(d);
        return {
          channel: String(x.channel ?? ''),
          state: String(x.state ?? ''),
          attempts: Number(x.attempts ?? 0),
          lastError: typeof x.lastError === 'string' ? x.lastError : null,
        };
      }),
    };
  });
}

/** The quota shown in a node's row: its own; else the fullest pool it is in. */
export function quotaForNode(nodeId: number, quotas: readonly QuotaBarView[]): QuotaBarView | undefined {
  const own = quotas.filter((q) => q.nodeId === nodeId);
  const list = own.length ? own : quotas.filter((q) => q.poolId !== null && q.nodeIds.includes(nodeId));
  return list.reduce<QuotaBarView | undefined>((a, q) => (!a || q.basisPoints > a.basisPoints ? q : a), undefined);
}

/** The hover text of a bar: used / limit, measure, and both projections. */
export function quotaTitle(q: QuotaBarView): string {
  const reach = (at: number | null) => (at === null ? 'not in this period' : formatDateTime(at));
  return [
    `${q.poolId !== null ? `pool ${q.owner}` : q.owner}: ${formatBytes(q.used)} of ${formatBytes(q.limit)} (${q.percent} %, ${q.measure})`,
    `limit reached at the last 24 h rate: ${reach(q.reachAt24h)}`,
    `at the period's average rate: ${reach(q.reachAtPeriod)}`,
  ].join('\n');
}

/** "812 GiB / 1.00 TiB" */
export const quotaText = (q: QuotaBarView): string => `${formatBytes(q.used)} / ${formatBytes(q.limit)}`;

/** ok below 80 %, warn from 80 %, full from 100 %. */
export const quotaLevel = (q: QuotaBarView): 'ok' | 'warn' | 'full' =>
  q.basisPoints >= 10_000 ? 'full' : q.basisPoints >= 8_000 ? 'warn' : 'ok';
