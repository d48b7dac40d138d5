/**
 * One billing report from a query (the API's and the CLI's): checked whole before the first byte, then produced
 * chunk by chunk. The first chunk is computed before returning, so a store error surfaces as an error, not as a
 * truncated download.
 */
import { CollectorError } from '../errors.js';
import type { Store } from '../store/store.js';
import { type ReportFormat, formatReport } from './report-format.js';
import { localDate, parseReportRange, type ReportRange } from './report-range.js';
import { type ReportBy, reportRows } from './report-rows.js';

export interface ReportQuery {
  period?: string;
  from?: string;
  to?: string;
  by: ReportBy;
  rate: 'applied' | 'raw';
  /** Only this user's rows (by=user or user-node). */
  user?: number;
  format: ReportFormat;
  timezone: string;
}

export interface Report {
  range: ReportRange;
  contentType: string;
  /** A file name for downloads: traffic-<by>-<first>_<last>.<ext>. */
  filename: string;
  chunks: AsyncIterable<string>;
}

const TYPES: Record<ReportFormat, [string, string]> = {
  csv: ['text/csv; charset=utf-8', 'csv'],
  json: ['application/json; charset=utf-8', 'json'],
  table: ['text/plain; charset=utf-8', 'txt'],
};

export async function makeReport(store: Store, q: ReportQuery): Promise<Report> {
  const range = parseReportRange(q);
  if (q.user !== undefined && !(Number.isSafeInteger(q.user) && q.user >= 0 && q.user < 1e15))
    throw new CollectorError('TC_BAD_REPORT', `user=${q.user}: a user id (a whole number of at most 15 digits)`);
  if (q.user !== undefined && q.by === 'node')
    throw new CollectorError('TC_BAD_REPORT', 'user= narrows a per-user report (by=user or by=user-node), not by=node');
  if (q.rate === 'raw' && q.by !== 'node') {
    // Rows stored before schema v7 at a rate other than 1 do not know their unrated bytes: never guessed.
    const last = await store.lastDayWithoutRaw(Math.floor(range.fromMs / 1000), Math.floor(range.toMs / 1000), q.user);
    if (last !== null) {
      const day = localDate(last * 1000, range.timezone);
      throw new CollectorError(
        'TC_BAD_REPORT',
        `rate=raw: per-user rows up to ${day} were stored before the collector kept unrated bytes (schema v7) at a node rate other than 1, so their raw bytes are unknown; ask for days after ${day}, or use rate=applied`,
      );
    }
  }
  const rows = reportRows(store, range, q.by, { rate: q.rate, userId: q.user });
  const gen = formatReport(rows, { by: q.by, range, rate: q.rate }, q.format);
  const first = await gen.next();
  async function* chunks(): AsyncGenerator<string> {
    if (!first.done) yield first.value;
    yield* gen;
  }
  const [contentType, ext] = TYPES[q.format];
  return {
    range,
    contentType,
    filename: `traffic-${q.by}${q.user === undefined ? '' : `-user${q.user}`}-${range.firstDay}_${range.lastDay}.${ext}`,
    chunks: chunks(),
  };
}
