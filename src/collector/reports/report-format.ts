/**
 * A report as text, chunk by chunk: CSV (RFC 4180: CRLF, fields with a comma, quote or line break quoted, quotes
 * doubled; UTF-8 with a byte-order mark so spreadsheets read names as UTF-8), JSON (one document, rows streamed) or a
 * plain table for a terminal. Every number is an exact decimal integer.
 */
import type { ReportRange } from './report-range.js';
import type { NodeRow, ReportBy, ReportRow, UserNodeReportRow, UserRow } from './report-rows.js';

export type ReportFormat = 'csv' | 'json' | 'table';
export const REPORT_FORMATS: readonly ReportFormat[] = ['csv', 'json', 'table'];

export const CSV_BOM = '\ufeff';

export function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
const csvLine = (fields: readonly string[]) => `${fields.map(csvField).join(',')}\r\n`;

const COLUMNS: Record<ReportBy, readonly string[]> = {
  node: ['node_id', 'node_name', 'rx', 'tx', 'total', 'billing_periods'],
  user: ['user_id', 'upload', 'download', 'total'],
  'user-node': ['user_id', 'node_id', 'node_name', 'upload', 'download', 'total'],
};

function fields(by: ReportBy, row: ReportRow): string[] {
  if (by === 'node') {
    const r = row as NodeRow;
    return [String(r.nodeId), r.nodeName, String(r.rx), String(r.tx), String(r.rx + r.tx), r.periods.join(' ')];
  }
  if (by === 'user') {
    const r = row as UserRow;
    return [String(r.userId), String(r.u), String(r.d), String(r.u + r.d)];
  }
  const r = row as UserNodeReportRow;
  return [
    String(r.userId),
    r.nodeId === null ? '' : String(r.nodeId),
    r.nodeName,
    String(r.u),
    String(r.d),
    String(r.u + r.d),
  ];
}

function jsonRow(by: ReportBy, row: ReportRow): Record<string, unknown> {
  if (by === 'node') {
    const r = row as NodeRow;
    const t = { rx: String(r.rx), tx: String(r.tx), total: String(r.rx + r.tx) };
    return { nodeId: r.nodeId, nodeName: r.nodeName, ...t, billingPeriods: r.periods };
  }
  const r = row as UserRow & Partial<UserNodeReportRow>;
  const t = { upload: String(r.u), download: String(r.d), total: String(r.u + r.d) };
  return by === 'user'
    ? { userId: r.userId, ...t }
    : { userId: r.userId, nodeId: r.nodeId, nodeName: r.nodeName, ...t };
}

/** Sums of a report's rows: [first, second] direction (rx/tx for nodes, upload/download for users). */
function addTotals(tot: [bigint, bigint], by: ReportBy, row: ReportRow): void {
  if (by === 'node') {
    tot[0] += (row as NodeRow).rx;
    tot[1] += (row as NodeRow).tx;
  } else {
    tot[0] += (row as UserRow).u;
    tot[1] += (row as UserRow).d;
  }
}

export interface ReportMeta {
  by: ReportBy;
  range: ReportRange;
  /** Per-user bytes with the node rate applied (as billed) or as measured. Default applied. */
  rate?: 'applied' | 'raw';
}

export async function* formatReport(
  rows: AsyncIterable<ReportRow>,
  meta: ReportMeta,
  format: ReportFormat,
): AsyncGenerator<string> {
  const { by, range } = meta;
  const tot: [bigint, bigint] = [0n, 0n];
  let n = 0;
  if (format === 'csv') {
    yield CSV_BOM + csvLine(COLUMNS[by]);
    let chunk = '';
    for await (const row of rows) {
      chunk += csvLine(fields(by, row));
      if (++n % 1000 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk) yield chunk;
    return;
  }
  if (format === 'json') {
    const head = {
      by,
      timezone: range.timezone,
      from: range.firstDay,
      to: range.lastDay,
      rate: meta.rate ?? 'applied',
    };
    yield `${JSON.stringify(head).slice(0, -1)},"rows":[`;
    let chunk = '';
    for await (const row of rows) {
      addTotals(tot, by, row);
      chunk += (n++ === 0 ? '' : ',') + JSON.stringify(jsonRow(by, row));
      if (n % 1000 === 0) {
        yield chunk;
        chunk = '';
      }
    }
    const [a, b] = tot.map(String);
    const totals =
      by === 'node'
        ? { rx: a, tx: b, total: String(tot[0] + tot[1]) }
        : { upload: a, download: b, total: String(tot[0] + tot[1]) };
    yield `${chunk}],"rowCount":${n},"totals":${JSON.stringify(totals)}}\n`;
    return;
  }
  // table: columns padded to the widest value of the whole report (a terminal report is small enough to hold).
  const all: string[][] = [[...COLUMNS[by]]];
  for await (const row of rows) {
    addTotals(tot, by, row);
    all.push(fields(by, row));
    n++;
  }
  const totalLine =
    by === 'node'
      ? ['', 'TOTAL', String(tot[0]), String(tot[1]), String(tot[0] + tot[1]), '']
      : by === 'user'
        ? ['TOTAL', String(tot[0]), String(tot[1]), String(tot[0] + tot[1])]
        : ['TOTAL', '', '', String(tot[0]), String(tot[1]), String(tot[0] + tot[1])];
  all.push(totalLine);
  const widths = all[0].map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const numeric = (i: number) => /^(rx|tx|total|upload|download|user_id|node_id)$/.test(COLUMNS[by][i]);
  const line = (r: string[]) =>
    r
      .map((v, i) => (numeric(i) ? v.padStart(widths[i]) : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  yield `${by} report, ${range.firstDay} to ${range.lastDay} (${range.timezone}), ${n} rows\n`;
  yield `${all.map(line).join('\n')}\n`;
}
