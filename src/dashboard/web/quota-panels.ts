/**
 * The pools table and the alerts panel, and the quota list the fleet table's bars read. One refresh fetches
 * /api/v1/quotas, /pools and /alerts; a collector without them (older) leaves the panels empty.
 */
import type { Api } from './api.js';
import { el, fillRows } from './dom.js';
import { formatDateTime, plural } from './format.js';
import { paintQuotaCell } from './quota-bar.js';
import { type AlertRowView, type PoolView, type QuotaBarView, toAlerts, toPools, toQuotaBars } from './quota-model.js';

export class QuotaPanels {
  quotas: QuotaBarView[] = [];
  pools: PoolView[] = [];
  alerts: AlertRowView[] = [];

  constructor(
    private readonly poolsTable: HTMLTableElement,
    private readonly alertsTable: HTMLTableElement,
  ) {}

  async refresh(api: Api): Promise<void> {
    const [q, p, a] = await Promise.all([
      api.get('/api/v1/quotas'),
      api.get('/api/v1/pools'),
      api.get('/api/v1/alerts?limit=20'),
    ]);
    this.quotas = toQuotaBars(q);
    this.pools = toPools(p);
    this.alerts = toAlerts(a);
    this.paintPools();
    this.paintAlerts();
  }

  private paintPools(): void {
    const tbody = this.poolsTable.tBodies[0];
    const frag = document.createDocumentFragment();
    for (const pool of this.pools) {
      const quota = this.quotas.filter((q) => q.poolId === pool.id);
      const best = quota.reduce<QuotaBarView | undefined>(
        (x, q) => (!x || q.basisPoints > x.basisPoints ? q : x),
        undefined,
      );
      const bar = el('td');
      paintQuotaCell(bar, best);
      frag.append(
        el('tr', { data: { id: String(pool.id) } }, [
          el('td', { text: pool.name }),
          el('td', { className: 'num', text: String(pool.nodeIds.length) }),
          el('td', { text: `day ${pool.resetDay}, ${pool.timezone}` }),
          bar,
        ]),
      );
    }
    if (!this.pools.length) {
      const td = el('td', { className: 'muted', text: 'No pools' });
      td.colSpan = 4;
      frag.append(el('tr', {}, [td]));
    }
    tbody.replaceChildren(frag);
  }

  private paintAlerts(): void {
    fillRows(
      this.alertsTable.tBodies[0],
      this.alerts.map((a) => ({
        cells: [{ text: formatDateTime(a.firedAt) }, { text: a.kind }, { text: a.title }, { text: deliveryText(a) }],
        data: { id: String(a.id), state: a.state },
      })),
      'No alerts',
      4,
    );
  }
}

/** "delivered" / "pending (ops: 3 attempts, HTTP 503)" / "failed (tg: …)" / "no channel" */
export function deliveryText(a: AlertRowView): string {
  if (a.state === 'none') return 'no channel';
  const open = a.deliveries.filter((d) => d.state !== 'delivered');
  if (!open.length) return 'delivered';
  const detail = open
    .map((d) => `${d.channel}: ${plural(d.attempts, 'attempt')}${d.lastError ? `, ${d.lastError}` : ''}`)
    .join('; ');
  return `${a.state} (${detail})`;
}
