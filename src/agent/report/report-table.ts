/**
 * `traffic-agent report` as text, laid out like `vnstat -h/-d/-m/-t`: rx, tx and total in IEC units (KiB, MiB, ...),
 * the average rate in bit/s with decimal prefixes (vnStat's defaults).
 */
import type { Report, ReportKind, ReportRow } from './report-rows.js';

const IEC = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function formatBytes(bytes: string | bigint): string {
  const n = BigInt(bytes);
  if (n < 1024n) return `${n} B`;
  let unit = -1;
  let div = 1n;
  while (unit < IEC.length - 1 && n >= div * 1024n) {
    div *= 1024n;
    unit++;
  }
  // Two decimals, rounded from the exact integer (no float error on large counters).
  const hundredths = (n * 100n + div / 2n) / div;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')} ${IEC[unit]}`;
}

const RATES = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s', 'Pbit/s'];

export function formatRate(bitsPerSec: number): string {
  let v = bitsPerSec;
  let unit = 0;
  while (unit < RATES.length - 1 && v >= 1000) {
    v /= 1000;
    unit++;
  }
  return `${v.toFixed(2)} ${RATES[unit]}`;
}

const TITLES: Record<ReportKind, string> = { hours: 'hourly', days: 'daily', months: 'monthly', top: 'top 10' };
const HEADS: Record<Exclude<ReportKind, 'top'>, string> = {
  hours: '         hour        rx      |     tx      |    total    |   avg. rate',
  days: '          day        rx      |     tx      |    total    |   avg. rate',
  months: '        month        rx      |     tx      |    total    |   avg. rate',
};
const LINE = '     ------------------------+-------------+-------------+---------------';
const TOP_HEAD = '    #      day          rx      |     tx      |    total    |   avg. rate';
const TOP_LINE = '   -----------------------------+-------------+-------------+---------------';

const cells = (r: ReportRow) =>
  `${formatBytes(r.rx).padStart(13)} | ${formatBytes(r.tx).padStart(11)} | ${formatBytes(r.total).padStart(11)} | ${formatRate(r.avgBitsPerSec).padStart(14)}`;

function section(kind: ReportKind, rows: readonly ReportRow[], title: string, today: string): string[] {
  const lines = ['', ` ${title}  /  ${TITLES[kind]}`, ''];
  if (rows.length === 0) return [...lines, '     no traffic counted yet'];
  if (kind === 'top') {
    lines.push(TOP_HEAD, TOP_LINE);
    rows.forEach((r, i) => {
      lines.push(` ${r.key === today ? '>' : ' '}${String(i + 1).padStart(3)}   ${r.key}${cells(r)}`);
    });
    lines.push(TOP_LINE);
    return lines;
  }
  lines.push(HEADS[kind], LINE);
  let date = '';
  for (const r of rows) {
    let label = r.key;
    if (kind === 'hours') {
      const [d, h] = r.key.split(' ');
      if (d !== date) lines.push(`     ${d}`);
      date = d;
      label = `    ${h}`;
    } else if (kind === 'months') {
      label = `  ${r.key}`;
    }
    lines.push(`     ${label.padEnd(10)}${cells(r)}`);
  }
  lines.push(LINE);
  return lines;
}

/** `today` is the local date now (marks today's line in the top list, as vnStat does). */
export function reportTable(report: Report, kinds: readonly ReportKind[], title: string, today: string): string {
  const lines: string[] = [];
  for (const kind of kinds) lines.push(...section(kind, report[kind] ?? [], title, today));
  const before = BigInt(report.before.rx) + BigInt(report.before.tx);
  lines.push('', ` times in ${report.timeZone}; rollups since ${report.since}`);
  if (before > 0n)
    lines.push(
      ` counted before the rollups began (by an older agent), in no bucket: rx ${formatBytes(report.before.rx)}, tx ${formatBytes(report.before.tx)}`,
    );
  return `${lines.join('\n')}\n`;
}
