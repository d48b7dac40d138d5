/** SQLite part of the Store for quotas, pools and the alert ledger: synchronous statements, one transaction per call. */
import type Database from 'better-sqlite3';
import { CollectorError } from '../../errors.js';
import type {
  AlertKind,
  AlertRow,
  DeliveryJob,
  DeliveryOutcome,
  EventRecord,
  NewAlert,
  NewPool,
  NewQuota,
  PoolInfo,
  QuotaInfo,
  QuotaStore,
} from '../quota-store.js';
import { PRUNE_ALERTS_BATCH } from '../quota-store.js';
import { toAlerts, toEventRecord, toPools, toQuota } from '../quota-rows.js';
import { num } from '../rows.js';
import { QQ } from './quota-sql.js';

type Row = Record<string, unknown>;
type Stmts = { -readonly [K in keyof typeof QQ]: Database.Statement };

export class SqliteQuotaStore implements QuotaStore {
  private readonly s: Stmts;

  constructor(private readonly db: Database.Database) {
    const s: Partial<Stmts> = {};
    for (const [k, sql] of Object.entries(QQ)) s[k as keyof Stmts] = db.prepare(sql).safeIntegers(true);
    this.s = s as Stmts;
  }

  async addPool(p: NewPool): Promise<PoolInfo> {
    return this.db.transaction(() => {
      if (this.s.poolByName.get(p.name)) throw new CollectorError('TC_POOL_EXISTS', p.name);
      const id = num(this.s.insertPool.run(p.name, p.resetDay, p.timezone, p.createdAt).lastInsertRowid);
      return toPools([{ ...(this.s.poolById.get(id) as Row), node_id: null }])[0];
    })();
  }

  async listPools(): Promise<PoolInfo[]> {
    return toPools(this.s.listPools.all() as Row[]);
  }

  async removePool(id: number): Promise<boolean> {
    return this.s.removePool.run(id).changes > 0;
  }

  async addPoolNode(poolId: number, nodeId: number): Promise<boolean> {
    return this.db.transaction(() => {
      if (!this.s.poolById.get(poolId)) throw new CollectorError('TC_POOL_NOT_FOUND', String(poolId));
      if (!this.s.nodeExists.get(nodeId)) throw new CollectorError('TC_NODE_NOT_FOUND', String(nodeId));
      return this.s.addPoolNode.run(poolId, nodeId).changes > 0;
    })();
  }

  async removePoolNode(poolId: number, nodeId: number): Promise<boolean> {
    return this.s.removePoolNode.run(poolId, nodeId).changes > 0;
  }

  async addQuota(q: NewQuota): Promise<QuotaInfo> {
    return this.db.transaction(() => {
      if (q.nodeId !== null && !this.s.nodeExists.get(q.nodeId))
        throw new CollectorError('TC_NODE_NOT_FOUND', String(q.nodeId));
      if (q.poolId !== null && !this.s.poolById.get(q.poolId))
        throw new CollectorError('TC_POOL_NOT_FOUND', String(q.poolId));
      const id = this.s.insertQuota.run(
        q.nodeId,
        q.poolId,
        q.limit,
        q.measure,
        JSON.stringify(q.thresholds),
        q.cycleDays,
        q.cycleStart,
        JSON.stringify(q.channels),
        q.createdAt,
      ).lastInsertRowid;
      return toQuota(this.s.quotaById.get(id) as Row);
    })();
  }

  async listQuotas(): Promise<QuotaInfo[]> {
    return (this.s.listQuotas.all() as Row[]).map(toQuota);
  }

  async removeQuota(id: number): Promise<boolean> {
    return this.s.removeQuota.run(id).changes > 0;
  }

  async fireAlert(a: NewAlert, channels: string[]): Promise<boolean> {
    return this.db.transaction(() => {
      const r = this.s.insertAlert.run(a.key, a.kind, a.nodeId, a.poolId, a.quotaId, a.payload, a.firedAt);
      if (r.changes === 0) return false;
      for (const c of channels) this.s.insertDelivery.run(r.lastInsertRowid, c, a.firedAt);
      return true;
    })();
  }

  async alertExists(key: string): Promise<boolean> {
    return this.s.alertExists.get(key) !== undefined;
  }

  async latestAlertKeys(kind: AlertKind): Promise<Map<number, string>> {
    return new Map((this.s.latestAlertKeys.all(kind) as Row[]).map((r) => [num(r.node_id), String(r.alert_key)]));
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<DeliveryJob[]> {
    return this.db.transaction(() =>
      (this.s.claimDeliveries.all({ now, lease: now + leaseMs, limit }) as Row[]).map((r) => {
        const a = this.s.alertById.get(r.alert_id) as Row;
        return {
          alertId: num(r.alert_id),
          alertKey: String(a.alert_key),
          channel: String(r.channel),
          payload: String(a.payload),
          attempts: num(r.attempts),
          firedAt: num(a.fired_at),
        };
      }),
    )();
  }

  async finishDelivery(alertId: number, channel: string, o: DeliveryOutcome): Promise<void> {
    if (o.ok) this.s.delivered.run(o.at, alertId, channel);
    else if (o.retryAt === null) this.s.giveUp.run(o.error, alertId, channel);
    else this.s.retry.run(o.error, o.retryAt, alertId, channel);
  }

  async pruneAlerts(firedBefore: number, now: number, batch = PRUNE_ALERTS_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      // One short write transaction per batch: heartbeats are not held up behind a long delete.
      const n = this.s.pruneAlerts.run({ before: firedBefore, now, limit: batch }).changes;
      total += n;
      if (n < batch) return total;
    }
  }

  async listAlerts(limit: number): Promise<AlertRow[]> {
    return toAlerts(this.s.listAlerts.all(limit) as Row[]);
  }

  async eventRecords(sinceMs: number): Promise<EventRecord[]> {
    return (this.s.eventRecords.all(sinceMs) as Row[]).map(toEventRecord);
  }
}
