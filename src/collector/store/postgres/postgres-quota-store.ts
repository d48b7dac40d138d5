/** PostgreSQL part of the Store for quotas, pools and the alert ledger (one pooled client per transaction). */
import type pg from 'pg';
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
type Tx = <T>(fn: (c: pg.PoolClient) => Promise<T>) => Promise<T>;

export class PostgresQuotaStore implements QuotaStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly tx: Tx,
  ) {}

  private async rows(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }
  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return ((await this.pool.query(sql, params)).rowCount ?? 0) > 0;
  }

  async addPool(p: NewPool): Promise<PoolInfo> {
    const [r] = await this.rows(QQ.insertPool, [p.name, p.resetDay, p.timezone, p.createdAt]);
    if (!r) throw new CollectorError('TC_POOL_EXISTS', p.name);
    return toPools([{ ...r, node_id: null }])[0];
  }

  async listPools(): Promise<PoolInfo[]> {
    return toPools(await this.rows(QQ.listPools));
  }

  removePool(id: number): Promise<boolean> {
    return this.changed(QQ.removePool, [id]);
  }

  async addPoolNode(poolId: number, nodeId: number): Promise<boolean> {
    return this.tx(async (c) => {
      if (!(await c.query(QQ.poolExists, [poolId])).rowCount)
        throw new CollectorError('TC_POOL_NOT_FOUND', String(poolId));
      if (!(await c.query(QQ.nodeExists, [nodeId])).rowCount)
        throw new CollectorError('TC_NODE_NOT_FOUND', String(nodeId));
      return ((await c.query(QQ.addPoolNode, [poolId, nodeId])).rowCount ?? 0) > 0;
    });
  }

  removePoolNode(poolId: number, nodeId: number): Promise<boolean> {
    return this.changed(QQ.removePoolNode, [poolId, nodeId]);
  }

  async addQuota(q: NewQuota): Promise<QuotaInfo> {
    return this.tx(async (c) => {
      if (q.nodeId !== null && !(await c.query(QQ.nodeExists, [q.nodeId])).rowCount)
        throw new CollectorError('TC_NODE_NOT_FOUND', String(q.nodeId));
      if (q.poolId !== null && !(await c.query(QQ.poolExists, [q.poolId])).rowCount)
        throw new CollectorError('TC_POOL_NOT_FOUND', String(q.poolId));
      const r = await c.query(QQ.insertQuota, [
        q.nodeId,
        q.poolId,
        q.limit.toString(),
        q.measure,
        JSON.stringify(q.thresholds),
        q.cycleDays,
        q.cycleStart,
        JSON.stringify(q.channels),
        q.createdAt,
      ]);
      return toQuota(r.rows[0] as Row);
    });
  }

  async listQuotas(): Promise<QuotaInfo[]> {
    return (await this.rows(QQ.listQuotas)).map(toQuota);
  }

  removeQuota(id: number): Promise<boolean> {
    return this.changed(QQ.removeQuota, [id]);
  }

  async fireAlert(a: NewAlert, channels: string[]): Promise<boolean> {
    return this.tx(async (c) => {
      const r = await c.query(QQ.insertAlert, [a.key, a.kind, a.nodeId, a.poolId, a.quotaId, a.payload, a.firedAt]);
      if (!r.rowCount) return false;
      if (channels.length) await c.query(QQ.insertDeliveries, [(r.rows[0] as Row).id, channels, a.firedAt]);
      return true;
    });
  }

  async alertExists(key: string): Promise<boolean> {
    return (await this.rows(QQ.alertExists, [key])).length > 0;
  }

  async latestAlertKeys(kind: AlertKind): Promise<Map<number, string>> {
    return new Map((await this.rows(QQ.latestAlertKeys, [kind])).map((r) => [num(r.node_id), String(r.alert_key)]));
  }

  async claimDeliveries(now: number, leaseMs: number, limit: number): Promise<DeliveryJob[]> {
    return (await this.rows(QQ.claimDeliveries, [now, now + leaseMs, limit])).map((r) => ({
      alertId: num(r.alert_id),
      alertKey: String(r.alert_key),
      channel: String(r.channel),
      payload: String(r.payload),
      attempts: num(r.attempts),
      firedAt: num(r.fired_at),
    }));
  }

  async finishDelivery(alertId: number, channel: string, o: DeliveryOutcome): Promise<void> {
    if (o.ok) await this.pool.query(QQ.delivered, [o.at, alertId, channel]);
    else if (o.retryAt === null) await this.pool.query(QQ.giveUp, [o.error, alertId, channel]);
    else await this.pool.query(QQ.retry, [o.error, o.retryAt, alertId, channel]);
  }

  async pruneAlerts(firedBefore: number, now: number, batch = PRUNE_ALERTS_BATCH): Promise<number> {
    let total = 0;
    for (;;) {
      const n = (await this.pool.query(QQ.pruneAlerts, [firedBefore, now, batch])).rowCount ?? 0;
      total += n;
      if (n < batch) return total;
    }
  }

  async listAlerts(limit: number): Promise<AlertRow[]> {
    return toAlerts(await this.rows(QQ.listAlerts, [limit]));
  }

  async eventRecords(sinceMs: number): Promise<EventRecord[]> {
    return (await this.rows(QQ.eventRecords, [sinceMs])).map(toEventRecord);
  }
}
