/**
 * The fleet table. Rows are built once per node and then updated in place (a cell is written only when its text
 * changed); new rows go in through one DocumentFragment; sorting reorders the existing rows. One click and one
 * keydown listener on the table serve every header and row (delegation), so 1,000 nodes cost 2 listeners.
 */
import {
  compareBig,
  formatAgo,
  formatBitRate,
  formatBytes,
  formatDateTime,
  formatDuration,
  formatLoad,
} from './format.js';
import type { NodeView } from './model.js';
import { paintQuotaCell } from './quota-bar.js';
import type { QuotaBarView } from './quota-model.js';

export type SortKey =
  | 'name'
  | 'state'
  | 'lastSeen'
  | 'load'
  | 'uptime'
  | 'rate'
  | 'periodRx'
  | 'periodTx'
  | 'totalRx'
  | 'totalTx'
  /** The quota column (only when the table has one): by percent used, nodes with no quota last. */
  | 'quota';

interface Column {
  key: SortKey;
  label: string;
  numeric: boolean;
  cmp: (a: NodeView, b: NodeView) => number;
}

const collator = new Intl.Collator(undefined, { numeric: true });
const nullsLast = (a: number | null, b: number | null): number => (a ?? -Infinity) - (b ?? -Infinity);

export const COLUMNS: readonly Column[] = [
  { key: 'name', label: 'Node', numeric: false, cmp: (a, b) => collator.compare(a.name, b.name) || a.id - b.id },
  { key: 'state', label: 'State', numeric: false, cmp: (a, b) => Number(a.online) - Number(b.online) },
  { key: 'lastSeen', label: 'Last seen', numeric: true, cmp: (a, b) => nullsLast(a.lastSeen, b.lastSeen) },
  {
    key: 'load',
    label: 'Load 1 / 5 / 15',
    numeric: true,
    cmp: (a, b) => nullsLast(a.load?.[0] ?? null, b.load?.[0] ?? null),
  },
  { key: 'uptime', label: 'Uptime', numeric: true, cmp: (a, b) => nullsLast(a.uptimeSec, b.uptimeSec) },
  {
    key: 'rate',
    label: 'Rate RX / TX',
    numeric: true,
    cmp: (a, b) => nullsLast(a.rate && a.rate.rx + a.rate.tx, b.rate && b.rate.rx + b.rate.tx),
  },
  { key: 'periodRx', label: 'Period RX', numeric: true, cmp: (a, b) => compareBig(a.period.rx, b.period.rx) },
  { key: 'periodTx', label: 'Period TX', numeric: true, cmp: (a, b) => compareBig(a.period.tx, b.period.tx) },
  { key: 'totalRx', label: 'Total RX', numeric: true, cmp: (a, b) => compareBig(a.total.rx, b.total.rx) },
  { key: 'totalTx', label: 'Total TX', numeric: true, cmp: (a, b) => compareBig(a.total.tx, b.total.tx) },
];

interface RowRefs {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
  texts: string[];
  online: boolean | null;
  node: NodeView;
}

export interface FleetTableOptions {
  onOpen: (node: NodeView) => void;
  /** When given, a last "Quota" column shows each node's quota bar (quota-bar.ts). */
  quota?: (nodeId: number) => QuotaBarView | undefined;
}

export class FleetTable {
  private readonly rows = new Map<number, RowRefs>();
  private readonly tbody: HTMLTableSectionElement;
  private readonly headers: HTMLTableCellElement[] = [];
  private readonly rowTemplate: HTMLTableRowElement;
  private order: number[] = [];
  private sortKey: SortKey = 'name';
  private sortDir: 1 | -1 = 1;
  private filter = '';

  constructor(
    readonly table: HTMLTableElement,
    private readonly opts: FleetTableOptions,
  ) {
    // The CSS lays the table out as grid rows (see app.css); explicit roles keep it a table for assistive tech.
    table.setAttribute('role', 'table');
    const thead = table.createTHead();
    thead.setAttribute('role', 'rowgroup');
    const head = thead.insertRow();
    head.setAttribute('role', 'row');
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.setAttribute('role', 'columnheader');
      th.dataset.sort = c.key;
      th.tabIndex = 0;
      th.textContent = c.label;
      if (c.numeric) th.className = 'num';
      head.append(th);
      this.headers.push(th);
    }
    if (opts.quota) {
      const th = document.createElement('th');
      th.scope = 'col';
      th.setAttribute('role', 'columnheader');
      th.dataset.sort = 'quota';
      th.tabIndex = 0;
      th.textContent = 'Quota';
      th.className = 'quota-head';
      head.append(th);
      this.headers.push(th);
    }
    this.tbody = table.tBodies[0] ?? table.createTBody();
    this.tbody.setAttribute('role', 'rowgroup');
    this.rowTemplate = document.createElement('tr');
    this.rowTemplate.tabIndex = 0;
    this.rowTemplate.setAttribute('role', 'row');
    for (const c of COLUMNS) {
      const td = document.createElement('td');
      td.setAttribute('role', 'cell');
      if (c.numeric) td.className = 'num';
      this.rowTemplate.append(td);
    }
    if (opts.quota) {
      const td = document.createElement('td');
      td.setAttribute('role', 'cell');
      this.rowTemplate.append(td);
    }
    table.addEventListener('click', (e) => this.onActivate(e.target));
    table.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        this.onActivate(e.target);
      }
    });
    this.paintHeaders();
  }

  get size(): number {
    return this.rows.size;
  }

  sortBy(key: SortKey, dir?: 1 | -1): void {
    // Numbers (and the quota's percent) sort biggest first on the first click, text A to Z.
    const numeric = key === 'quota' || COLUMNS.find((c) => c.key === key)?.numeric;
    this.sortDir = dir ?? (key === this.sortKey ? (this.sortDir === 1 ? -1 : 1) : numeric ? -1 : 1);
    this.sortKey = key;
    this.paintHeaders();
    this.reorder();
  }

  setFilter(text: string): void {
    this.filter = text.trim().toLowerCase();
    for (const r of this.rows.values()) r.tr.hidden = !this.matches(r.node);
  }

  /** Reconciles the table with a fresh node list: updates rows in place, adds new ones in one fragment, drops gone ones. */
  update(nodes: readonly NodeView[], now: number): void {
    const seen = new Set<number>();
    let added = false;
    for (const n of nodes) {
      seen.add(n.id);
      let r = this.rows.get(n.id);
      if (!r) {
        // Painted while detached; inserted below, already in sorted order.
        const tr = this.rowTemplate.cloneNode(true) as HTMLTableRowElement;
        tr.dataset.id = String(n.id);
        r = { tr, cells: Array.from(tr.cells), texts: COLUMNS.map(() => ''), online: null, node: n };
        this.rows.set(n.id, r);
        added = true;
      }
      this.paintRow(r, n, now);
    }
    for (const [id, r] of this.rows) {
      if (!seen.has(id)) {
        r.tr.remove();
        this.rows.delete(id);
      }
    }
    this.reorder(added);
  }

  private paintRow(r: RowRefs, n: NodeView, now: number): void {
    r.node = n;
    const texts = [
      n.name,
      n.online ? 'online' : 'offline',
      formatAgo(n.lastSeen, now),
      formatLoad(n.load),
      formatDuration(n.uptimeSec),
      n.rate ? `${formatBitRate(n.rate.rx)} / ${formatBitRate(n.rate.tx)}` : '–',
      formatBytes(n.period.rx),
      formatBytes(n.period.tx),
      formatBytes(n.total.rx),
      formatBytes(n.total.tx),
    ];
    for (let i = 0; i < texts.length; i++) {
      if (r.texts[i] !== texts[i]) {
        r.texts[i] = texts[i];
        r.cells[i].textContent = texts[i];
      }
    }
    if (this.opts.quota) paintQuotaCell(r.cells[COLUMNS.length], this.opts.quota(n.id));
    if (r.online !== n.online) {
      r.online = n.online;
      r.cells[1].className = n.online ? 'state online' : 'state offline';
      r.tr.classList.toggle('is-offline', !n.online);
    }
    const title = formatDateTime(n.lastSeen);
    if (r.cells[2].title !== title) r.cells[2].title = title;
    if (this.filter) r.tr.hidden = !this.matches(n);
  }

  private matches(n: NodeView): boolean {
    return !this.filter || n.name.toLowerCase().includes(this.filter) || String(n.id) === this.filter;
  }

  /** The quotas changed (the panels reloaded them): repaints the quota cells, and the order when sorted by quota. */
  quotasChanged(): void {
    const quota = this.opts.quota;
    if (!quota) return;
    for (const r of this.rows.values()) paintQuotaCell(r.cells[COLUMNS.length], quota(r.node.id));
    if (this.sortKey === 'quota') this.reorder();
  }

  /** The comparison of the sort column; the quota's percent is looked up once per node, not once per comparison. */
  private comparator(refs: readonly RowRefs[]): (a: NodeView, b: NodeView) => number {
    const quota = this.opts.quota;
    if (this.sortKey === 'quota' && quota) {
      const used = new Map(refs.map((r) => [r.node.id, quota(r.node.id)?.basisPoints ?? null]));
      return (a, b) => nullsLast(used.get(a.id) ?? null, used.get(b.id) ?? null);
    }
    return (COLUMNS.find((c) => c.key === this.sortKey) ?? COLUMNS[0]).cmp;
  }

  /** Puts the rows in sort order with one DocumentFragment; touches the DOM only when the order changed or rows were added. */
  private reorder(force = false): void {
    const dir = this.sortDir;
    const refs = Array.from(this.rows.values());
    const cmp = this.comparator(refs);
    refs.sort((a, b) => dir * cmp(a.node, b.node) || a.node.id - b.node.id);
    const order = refs.map((r) => r.node.id);
    if (!force && order.length === this.order.length && order.every((id, i) => id === this.order[i])) return;
    this.order = order;
    const frag = document.createDocumentFragment();
    for (const r of refs) frag.append(r.tr);
    this.tbody.append(frag);
  }

  private paintHeaders(): void {
    for (const th of this.headers) {
      const active = th.dataset.sort === this.sortKey;
      th.setAttribute('aria-sort', active ? (this.sortDir === 1 ? 'ascending' : 'descending') : 'none');
    }
  }

  private onActivate(target: EventTarget | null): void {
    if (!(target instanceof Element)) return;
    const th = target.closest<HTMLTableCellElement>('th[data-sort]');
    if (th) {
      this.sortBy(th.dataset.sort as SortKey);
      return;
    }
    const tr = target.closest<HTMLTableRowElement>('tr[data-id]');
    const r = tr && this.rows.get(Number(tr.dataset.id));
    if (r) this.opts.onOpen(r.node);
  }
}
