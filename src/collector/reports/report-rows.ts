/**
 * The rows of a billing report, produced one at a time so a report of any size streams in bounded memory:
 * - node: per node, rx, tx and total over the range (from the hourly rollup), and the billing periods it touches;
 * - user-node: per user per node, upload and download as booked (u and d with the node's rate applied, as the panel
 *   bills them; rate=raw: as measured, for rows that know it, see make-report.ts); rows pushed without a node are their
 *   own "unattributed" line, never dropped;
 * - user: per user over every node (unattributed rows included).
 * Numbers are exact bigints; the report's totals are the sums of its rows.
 */
import { localParts, nextPeriodStart, periodStart } from '../../common/calendar.js';
import { CollectorError } from '../errors.js';
import type { NodeInfo, Store, UserNodeKey, UserNodePageOptions } from '../store/store.js';
import type { ReportRange } from './report-range.js';

export type ReportBy = 'node' | 'user' | 'user-node';
export const REPORT_BY: readonly ReportBy[] = ['node', 'user', 'user-node'];

export interface NodeRow {
  nodeId: number;
  nodeName: string;
  rx: bigint;
  tx: bigint;
  /** Billing periods of the node that overlap the range, as "YYYY-MM-DD..YYYY-MM-DD" (local, last day included). */
  periods: string[];
}
export interface UserRow {
  userId: number;
  u: bigint;
  d: bigint;
}
export interface UserNodeReportRow extends UserRow {
  /** null: rows pushed without a node ("unattributed"). */
  nodeId: number | null;
  nodeName: string;
}
export type ReportRow = NodeRow | UserRow | UserNodeReportRow;

export const UNATTRIBUTED = 'unattributed';
/** Rows read from the store per round trip. */
const PAGE = 5_000;

/** YYYY-MM-DD of the local day holding `ms` (calendar.ts's localParts, as every other local date here). */
const localDay = (ms: number, timeZone: string) => {
  const p = localParts(ms, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
};

/** The node's billing periods that overlap [fromMs, toMs). */
export function periodsCovered(node: NodeInfo, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  for (let start = periodStart(fromMs, node.resetDay, node.timezone); start < toMs; ) {
    const end = nextPeriodStart(start, node.resetDay, node.timezone);
    out.push(`${localDay(start, node.timezone)}..${localDay(end - 1, node.timezone)}`);
    start = end;
  }
  return out;
}

/** Refuses, before anything is sent, a report that cannot be exact. */
export function checkReportable(by: ReportBy, range: ReportRange): void {
  if (by === 'node' && (range.fromMs % 3_600_000 !== 0 || range.toMs % 3_600_000 !== 0))
    throw new CollectorError(
      'TC_BAD_REPORT',
      `the days of ${range.timezone} do not start on whole UTC hours; node traffic is kept per UTC hour, so a node report in this zone cannot be exact: use a zone whose offset is whole hours (e.g. timezone=UTC)`,
    );
}

export async function* nodeRows(store: Store, range: ReportRange): AsyncGenerator<NodeRow> {
  const traffic = await store.nodeTrafficBetween(range.fromMs, range.toMs);
  const nodes = (await store.listNodes()).sort((a, b) => a.id - b.id);
  for (const n of nodes) {
    const t = traffic.get(n.id) ?? { rx: 0n, tx: 0n };
    yield { nodeId: n.id, nodeName: n.name, rx: t.rx, tx: t.tx, periods: periodsCovered(n, range.fromMs, range.toMs) };
  }
}

export async function* userNodeRows(
  store: Store,
  range: ReportRange,
  opts: UserNodePageOptions = {},
): AsyncGenerator<UserNodeReportRow> {
  const names = new Map((await store.listNodes()).map((n) => [n.id, n.name]));
  const fromSec = Math.floor(range.fromMs / 1000);
  const toSec = Math.floor(range.toMs / 1000);
  let after: UserNodeKey | null = null;
  for (;;) {
    const page = await store.userNodeTotalsPage(fromSec, toSec, after, PAGE, opts);
    for (const r of page) {
      yield {
        userId: r.userId,
        nodeId: r.serverId,
        nodeName: r.serverId === null ? UNATTRIBUTED : (names.get(r.serverId) ?? `(removed node ${r.serverId})`),
        u: r.u,
        d: r.d,
      };
    }
    if (page.length < PAGE) return;
    after = page[page.length - 1];
  }
}

export async function* userRows(
  store: Store,
  range: ReportRange,
  opts: UserNodePageOptions = {},
): AsyncGenerator<UserRow> {
  let cur: UserRow | null = null;
  for await (const r of userNodeRows(store, range, opts)) {
    if (cur && cur.userId === r.userId) {
      cur.u += r.u;
      cur.d += r.d;
      continue;
    }
    if (cur) yield cur;
    cur = { userId: r.userId, u: r.u, d: r.d };
  }
  if (cur) yield cur;
}

export function reportRows(
  store: Store,
  range: ReportRange,
  by: ReportBy,
  opts: UserNodePageOptions = {},
): AsyncGenerator<ReportRow> {
  checkReportable(by, range);
  return by === 'node'
    ? nodeRows(store, range)
    : by === 'user'
      ? userRows(store, range, opts)
      : userNodeRows(store, range, opts);
}
