/**
 * The "Export" buttons: the billing report (GET /api/v1/reports, CSV) for the days on screen, fetched with the
 * bearer token in a header (never in a URL) and handed to the browser as a download through a temporary object URL.
 */
import { localParts } from '../../common/calendar.js';
import type { Api } from './api.js';
import { collectorZone } from './dom.js';

const pad = (n: number) => String(n).padStart(2, '0');
/** The date of an instant in `timeZone` (the collector's), or in the browser's zone when null. */
function ymd(ms: number, timeZone: string | null): string {
  if (timeZone) {
    const p = localParts(ms, timeZone);
    return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
  }
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The days (YYYY-MM-DD, both included, in the collector's zone) that cover a [from, to) range in unix ms. */
export function reportDays(
  range: { from: number; to: number },
  timeZone = collectorZone(),
): { from: string; to: string } {
  return { from: ymd(range.from, timeZone), to: ymd(Math.max(range.from, range.to - 1), timeZone) };
}

/** "2026-11-01 – 2026-11-30", or one date when the range is one day. */
export const daysLabel = (d: { from: string; to: string }) => (d.from === d.to ? d.from : `${d.from} – ${d.to}`);

/** Splits CSV text into records (RFC 4180: a line break inside double quotes belongs to its field). */
export function csvRecords(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) {
      out.push(text.slice(start, i + 1));
      start = i + 1;
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Hands `blob` to the browser as a file named `filename`. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export interface ExportRequest {
  api: Api;
  by: 'user' | 'user-node';
  days: { from: string; to: string };
  filename: string;
  /** Only this user's rows (the collector filters: report user=). */
  userId?: number;
}

/** Fetches the report and saves it; resolves to the number of data rows in the file. */
export async function exportReport(req: ExportRequest): Promise<number> {
  const blob = await req.api.reportCsv(req.by, req.days.from, req.days.to, req.userId);
  saveBlob(blob, req.filename);
  return Math.max(0, csvRecords(await blob.text()).length - 1);
}

/** Wires an Export button and its note: the note says which days the file covers, then how it went. */
export function wireExport(
  button: HTMLButtonElement,
  note: HTMLElement,
  days: () => { from: string; to: string },
  make: () => ExportRequest | string,
): { describe: () => void } {
  const describe = () => {
    note.textContent = `Export CSV covers ${daysLabel(days())} (whole days, collector's time zone)`;
    note.className = 'muted export-note';
  };
  button.addEventListener('click', () => {
    const r = make();
    if (typeof r === 'string') {
      note.textContent = r;
      note.className = 'error export-note';
      return;
    }
    button.disabled = true;
    note.textContent = `Exporting ${daysLabel(r.days)}…`;
    exportReport(r).then(
      (rows) => {
        note.textContent = `Saved ${r.filename}: ${rows} row${rows === 1 ? '' : 's'}, ${daysLabel(r.days)}`;
        note.className = 'muted export-note';
        button.disabled = false;
      },
      (err: unknown) => {
        note.textContent = `Export failed: ${(err as Error).message}`;
        note.className = 'error export-note';
        button.disabled = false;
      },
    );
  });
  describe();
  return { describe };
}
