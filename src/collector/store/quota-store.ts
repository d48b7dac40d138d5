/**
 * The part of the Store interface for quotas, pools and the alert ledger (schema v5 on both engines).
 *
 * Invariants every implementation keeps:
 * - fireAlert inserts the alert and one pending delivery per channel in ONE transaction, keyed by the alert's key
 *   (unique): a second fire of the same key, from this process or another, changes nothing and returns false. So an
 *   alert exists at most once per (rule, node or pool, period, threshold), and it is on disk before any sending.
 * - claimDeliveries hands out due pending deliveries and pushes their next attempt `leaseMs` ahead in the same
 *   statement, so two collectors never send one delivery at the same time; a process killed mid-send leaves the
 *   delivery pending, due again when the lease ends (the receiver drops the repeat by its idempotency key).
 * - Only finishDelivery({ ok: true }) marks a delivery delivered.
 */
import type { Measure } from '../quota/quota-math.js';

export interface PoolInfo {
  id: number;
  name: string;
  resetDay: number;
  timezone: string;
  createdAt: number;
  nodeIds: number[];
}
export interface NewPool {
  name: string;
  resetDay: number;
  timezone: string;
  createdAt: number;
}

export interface NewQuota {
  nodeId: number | null;
  poolId: number | null;
  limit: bigint;
  measure: Measure;
  /** Percent thresholds, ascending, distinct (e.g. [80, 90, 100]). */
  thresholds: number[];
  /** A custom cycle of cycleDays days from cycleStart (unix ms); null: the node's or pool's billing period. */
  cycleDays: number | null;
  cycleStart: number | null;
  /** Names of configured alert channels; empty: every channel. */
  channels: string[];
  createdAt: number;
}
export interface QuotaInfo extends NewQuota {
  id: number;
}

export type AlertKind = 'quota' | 'offline' | 'online' | 'event' | 'anomaly';
export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface NewAlert {
  /** Unique: what makes the alert fire once (e.g. "quota:3:p1700000000000:t80"). */
  key: string;
  kind: AlertKind;
  nodeId: number | null;
  poolId: number | null;
  quotaId: number | null;
  /** The alert's JSON document (what the webhook body carries), already serialised. */
  payload: string;
  firedAt: number;
}

export interface DeliveryJob {
  alertId: number;
  alertKey: string;
  channel: string;
  payload: string;
  attempts: number;
  firedAt: number;
}

export interface DeliveryView {
  channel: string;
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
  deliveredAt: number | null;
  nextAttemptAt: number | null;
}
export interface AlertRow extends NewAlert {
  id: number;
  deliveries: DeliveryView[];
}

export type DeliveryOutcome =
  | { ok: true; at: number }
  | { ok: false; at: number; error: string; retryAt: number | null /* null: give up (state failed) */ };

export interface EventRecord {
  nodeId: number;
  epoch: string;
  seq: number;
  to: number;
  events: string[];
}

/** Alerts deleted per statement by pruneAlerts. */
export const PRUNE_ALERTS_BATCH = 5000;

export interface QuotaStore {
  addPool(p: NewPool): Promise<PoolInfo>;
  listPools(): Promise<PoolInfo[]>;
  removePool(id: number): Promise<boolean>;
  /** false when the node already is in the pool; throws TC_POOL_NOT_FOUND / TC_NODE_NOT_FOUND. */
  addPoolNode(poolId: number, nodeId: number): Promise<boolean>;
  removePoolNode(poolId: number, nodeId: number): Promise<boolean>;

  /** Throws TC_NODE_NOT_FOUND / TC_POOL_NOT_FOUND when the owner does not exist. */
  addQuota(q: NewQuota): Promise<QuotaInfo>;
  listQuotas(): Promise<QuotaInfo[]>;
  removeQuota(id: number): Promise<boolean>;

  /** true when this call created the alert (and its pending deliveries); false when the key existed. */
  fireAlert(a: NewAlert, channels: string[]): Promise<boolean>;
  alertExists(key: string): Promise<boolean>;
  /** The key of the newest alert of that kind for each node that has one. */
  latestAlertKeys(kind: AlertKind): Promise<Map<number, string>>;
  claimDeliveries(now: number, leaseMs: number, limit: number): Promise<DeliveryJob[]>;
  finishDelivery(alertId: number, channel: string, outcome: DeliveryOutcome): Promise<void>;
  /** Newest first, with their deliveries. */
  listAlerts(limit: number): Promise<AlertRow[]>;
  /**
   * Deletes alerts fired before `firedBefore` (with their deliveries) that are settled and can never fire again;
   * returns how many. Kept whatever their age: an alert with a delivery still pending; the newest offline and the
   * newest online alert of each node (the presence rule reads the newest offline key: without it a node back online
   * would alert again); a quota alert whose period has not ended by `now` (its key would fire again in that period).
   * Event and anomaly alerts are only looked for again within hours (6 h; anomalies.lookbackHours <= 72), far
   * inside the least retention (alerts.retentionDays >= 7). Deletes in batches of `batch`.
   */
  pruneAlerts(firedBefore: number, now: number, batch?: number): Promise<number>;
  /** Raw records received at or after sinceMs that carry events, oldest first. */
  eventRecords(sinceMs: number): Promise<EventRecord[]>;
}
