/** Row -> domain mapping of quotas, pools and alerts, shared by both engines. */
import type { Measure } from '../quota/quota-math.js';
import type {
  AlertKind,
  AlertRow,
  DeliveryState,
  DeliveryView,
  EventRecord,
  PoolInfo,
  QuotaInfo,
} from './quota-store.js';
import { big, num } from './rows.js';

type Row = Record<string, unknown>;
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function toPool(r: Row, nodeIds: number[]): PoolInfo {
  return {
    id: num(r.id),
    name: String(r.name),
    resetDay: num(r.reset_day),
    timezone: String(r.timezone),
    createdAt: num(r.created_at),
    nodeIds,
  };
}

/** Pools from the rows of `pools LEFT JOIN pool_nodes` ordered by pool id. */
export function toPools(rows: Row[]): PoolInfo[] {
  const out = new Map<number, PoolInfo>();
  for (const r of rows) {
    const id = num(r.id);
    let p = out.get(id);
    if (!p) out.set(id, (p = toPool(r, [])));
    if (r.node_id !== null && r.node_id !== undefined) p.nodeIds.push(num(r.node_id));
  }
  return [...out.values()];
}

export function toQuota(r: Row): QuotaInfo {
  return {
    id: num(r.id),
    nodeId: numOrNull(r.node_id),
    poolId: numOrNull(r.pool_id),
    limit: big(r.limit_bytes),
    measure: String(r.measure) as Measure,
    thresholds: JSON.parse(String(r.thresholds)) as number[],
    cycleDays: numOrNull(r.cycle_days),
    cycleStart: numOrNull(r.cycle_start),
    channels: JSON.parse(String(r.channels)) as string[],
    createdAt: num(r.created_at),
  };
}

export function toDelivery(r: Row): DeliveryView {
  return {
    channel: String(r.channel),
    state: String(r.state) as DeliveryState,
    attempts: num(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    deliveredAt: numOrNull(r.delivered_at),
    nextAttemptAt: numOrNull(r.next_attempt_at),
  };
}

/** Alerts from the rows of `alerts LEFT JOIN alert_deliveries`, in row order. */
export function toAlerts(rows: Row[]): AlertRow[] {
  const out = new Map<number, AlertRow>();
  for (const r of rows) {
    const id = num(r.id);
    let a = out.get(id);
    if (!a) {
      a = {
        id,
        key: String(r.alert_key),
        kind: String(r.kind) as AlertKind,
        nodeId: numOrNull(r.node_id),
        poolId: numOrNull(r.pool_id),
        quotaId: numOrNull(r.quota_id),
        payload: String(r.payload),
        firedAt: num(r.fired_at),
        deliveries: [],
      };
      out.set(id, a);
    }
    if (r.channel !== null && r.channel !== undefined) a.deliveries.push(toDelivery(r));
  }
  return [...out.values()];
}

export const toEventRecord = (r: Row): EventRecord => ({
  nodeId: num(r.node_id),
  epoch: String(r.epoch),
  seq: num(r.seq),
  to: num(r.to_ms),
  events: JSON.parse(String(r.events)) as string[],
});
