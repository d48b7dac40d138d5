/**
 * A node's traffic over the last 24 hours (hourly) and the last 30 days (daily), drawn with uPlot as RX/TX bars,
 * in a modal dialog opened from the fleet table. uPlot is loaded on the first open (its own chunk), so the fleet
 * table does not wait for a charting library it does not use.
 */
import type uPlot from 'uplot';
import type { Api } from './api.js';
import {
  formatAgo,
  formatBitRate,
  formatBytes,
  formatBytesCompact,
  formatBytesNumber,
  formatDuration,
  formatLoad,
} from './format.js';
import { anomalyList, anomalyPlugin, marksByBucket, type AnomalyView } from './anomaly-marks.js';
import { dayRange, fillRows, must } from './dom.js';
import type { NodeView, SeriesView } from './model.js';
import { LoadHistoryPanel } from './load-chart.js';
import { loadUPlot, type UPlotCtor } from './uplot-loader.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Sums points into local-day buckets when the collector answered with a finer step than asked for. */
export function toDaily(s: SeriesView): SeriesView {
  if (s.bucketMs >= DAY) return s;
  const byDay = new Map<number, [number, number]>();
  for (let i = 0; i < s.at.length; i++) {
    const d = new Date(s.at[i] * 1000);
    const key = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime() / 1000;
    const acc = byDay.get(key) ?? [0, 0];
    acc[0] += s.rx[i];
    acc[1] += s.tx[i];
    byDay.set(key, acc);
  }
  const keys = [...byDay.keys()].sort((a, b) => a - b);
  return {
    at: keys,
    rx: keys.map((k) => must(byDay.get(k), 'day')[0]),
    tx: keys.map((k) => must(byDay.get(k), 'day')[1]),
    bucketMs: DAY,
  };
}

/** Axis steps that stay round across unit boundaries: 1, 2, 4 … 512 of B, KiB, MiB, … EiB (512 GiB, 1 TiB, 1.5 TiB). */
export const BYTE_INCRS: number[] = [];
for (let k = 0; k <= 6; k++) for (let m = 1; m <= 512; m *= 2) BYTE_INCRS.push(m * 1024 ** k);

/** The top of the y scale: the data's max rounded up to a whole number of a byte step, about 4 steps high. */
export function niceTop(max: number | null): number {
  if (!max || max <= 0) return 1024;
  const incr = BYTE_INCRS.find((i) => max / i <= 4) ?? BYTE_INCRS[BYTE_INCRS.length - 1];
  return Math.ceil((max * 1.02) / incr) * incr;
}

/**
 * The log scale's range: powers of two around the smallest and largest non-zero bar, so a TX of a few KiB beside an
 * RX of many GiB still gets a bar of its own height.
 */
export function logRange(values: readonly number[]): [number, number] {
  const positive = values.filter((v) => v > 0);
  if (positive.length === 0) return [1, 1024];
  // Four doublings below the smallest bar, so that bar is drawn with a height of its own, not as a sliver.
  const lo = 2 ** Math.floor(Math.log2(Math.min(...positive) / 16));
  const hi = 2 ** Math.ceil(Math.log2(Math.max(...positive) * 1.02));
  return [lo, Math.max(hi, lo * 2)];
}

/** Log-scale ticks: powers of two whose exponent is a multiple of the smallest step giving at most 6 ticks. */
export function logSplits(lo: number, hi: number): number[] {
  const e0 = Math.round(Math.log2(lo));
  const e1 = Math.round(Math.log2(hi));
  const step = [1, 2, 5, 10, 20].find((k) => (e1 - e0) / k <= 5) ?? 20;
  const out: number[] = [];
  for (let e = Math.ceil(e0 / step) * step; e <= e1; e += step) out.push(2 ** e);
  return out;
}

/** Empty buckets are drawn as nothing (null) rather than as a flat stroke; the legend still says "0 B". */
const gaps = (values: number[]): Array<number | null> => values.map((v) => (v > 0 ? v : null));

/** A bucket's label in the legend: "14:00–15:00" for hours, "Sat 29 Nov" for days (the browser's zone). */
function bucketLabel(sec: number, stepSec: number): string {
  const d = new Date(sec * 1000);
  if (stepSec >= 86_400) return d.toLocaleDateString(undefined, { weekday: 'short', day: 'numeric', month: 'short' });
  const hm = (x: Date) => x.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return `${hm(d)}–${hm(new Date((sec + stepSec) * 1000))}`;
}

function chartOptions(
  U: UPlotCtor,
  title: string,
  width: number,
  stepSec: number,
  s: SeriesView,
  log: boolean,
  marks: AnomalyView[][] = [],
): uPlot.Options {
  // RX left of the bucket's tick, TX right of it: grouped, so neither hides the other.
  const rxBars = must(U.paths.bars, 'uPlot bars')({ size: [0.4, 24], align: -1, gap: 1 });
  const txBars = must(U.paths.bars, 'uPlot bars')({ size: [0.4, 24], align: 1, gap: 1 });
  const raw = [s.at, s.rx, s.tx];
  // Without the cursor over a bar the legend gives the range's totals (instead of uPlot's empty "Time: --" row).
  const totals = [0, s.rx.reduce((a, b) => a + b, 0), s.tx.reduce((a, b) => a + b, 0)];
  const fmt = (_u: uPlot, _v: number | null, series: number, idx: number | null) =>
    formatBytesNumber(idx === null || idx === undefined ? totals[series] : (raw[series][idx] ?? 0));
  const [logLo, logHi] = logRange([...s.rx, ...s.tx]);
  const yAxis: uPlot.Axis = {
    stroke: '#5b6472',
    grid: { stroke: '#eceff3' },
    size: 72,
    values: (_u, splits) => splits.map(formatBytesCompact),
    // On a log scale uPlot would blank every tick but powers of the base's powers; these are all labelled.
    ...(log ? { splits: () => logSplits(logLo, logHi), filter: (_u, splits) => splits } : { incrs: BYTE_INCRS }),
  };
  return {
    title,
    width,
    height: 220,
    // Half-step padding so the first and last bars are not cut in half by the plot edge.
    scales: {
      x: { time: true, range: (_u, min, max) => [min - stepSec / 2, max + stepSec / 2] },
      y: log ? { distr: 3, log: 2, range: () => [logLo, logHi] } : { range: (_u, _min, max) => [0, niceTop(max)] },
    },
    axes: [{ stroke: '#5b6472', grid: { stroke: '#eceff3' } }, yAxis],
    series: [
      {
        label: stepSec >= 86_400 ? 'Day' : 'Hour',
        value: (_u, v, _s, idx) => (idx === null || v === null ? 'whole range' : bucketLabel(v, stepSec)),
      },
      {
        label: 'RX',
        stroke: '#2f6fdf',
        fill: 'rgba(47,111,223,0.75)',
        paths: rxBars,
        value: fmt,
        points: { show: false },
      },
      {
        label: 'TX',
        stroke: '#e0812b',
        fill: 'rgba(224,129,43,0.75)',
        paths: txBars,
        value: fmt,
        points: { show: false },
      },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    plugins: [anomalyPlugin(marks, stepSec)],
  };
}

export class NodeChartDialog {
  private charts: uPlot[] = [];
  private current: number | null = null;
  /** What the traffic charts show, kept so the log-scale toggle redraws them without asking the collector again. */
  private drawn: { U: UPlotCtor; hourly: SeriesView; daily: SeriesView; anomalies: AnomalyView[] } | null = null;
  private readonly logScale: HTMLInputElement;
  /** The load history under the traffic charts (load-chart.ts). */
  private readonly load: LoadHistoryPanel;

  constructor(
    private readonly dialog: HTMLDialogElement,
    private readonly api: () => Api,
    onUser: (id: number) => void,
  ) {
    this.logScale = must(
      dialog.querySelector<HTMLInputElement>('[data-field="log-scale"]'),
      '[data-field="log-scale"]',
    );
    this.logScale.addEventListener('change', () => this.drawTraffic());
    this.load = new LoadHistoryPanel(
      must(dialog.querySelector<HTMLElement>('[data-field="load"]'), '[data-field="load"]'),
      api,
    );
    dialog.addEventListener('close', () => this.dispose());
    dialog.addEventListener('click', (e) => {
      // A click on the backdrop (the dialog element itself, outside its content box) closes it.
      if (e.target === dialog) dialog.close();
      const tr = e.target instanceof Element ? e.target.closest<HTMLTableRowElement>('tr[data-user]') : null;
      if (tr) {
        dialog.close();
        onUser(Number(tr.dataset.user));
      }
    });
  }

  get openNodeId(): number | null {
    return this.current;
  }

  async open(node: NodeView, now = Date.now()): Promise<void> {
    this.dispose();
    this.current = node.id;
    const d = this.dialog;
    must(d.querySelector('[data-field="title"]'), '[data-field="title"]').textContent = `${node.name} (#${node.id})`;
    must(d.querySelector('[data-field="facts"]'), '[data-field="facts"]').textContent = [
      node.online ? 'online' : 'offline',
      `last seen ${formatAgo(node.lastSeen, now)}`,
      `load ${formatLoad(node.load)}`,
      `up ${formatDuration(node.uptimeSec)}`,
      ...(node.rate ? [`now ${formatBitRate(node.rate.rx)} RX / ${formatBitRate(node.rate.tx)} TX`] : []),
      `period ${formatBytes(node.period.rx)} RX / ${formatBytes(node.period.tx)} TX`,
      `total ${formatBytes(node.total.rx)} RX / ${formatBytes(node.total.tx)} TX`,
    ].join(' · ');
    const status = must(d.querySelector<HTMLElement>('[data-field="status"]'), '[data-field="status"]');
    const host = must(d.querySelector<HTMLElement>('[data-field="charts"]'), '[data-field="charts"]');
    const users = must(d.querySelector<HTMLTableElement>('[data-field="users"]'), '[data-field="users"]').tBodies[0];
    host.replaceChildren();
    users.replaceChildren();
    status.textContent = 'Loading…';
    status.className = 'chart-status';
    if (!d.open) d.showModal();
    void this.load.show(node.id);
    const to = Math.ceil(now / HOUR) * HOUR;
    try {
      const month = dayRange(30, now);
      const [U, hourly, daily, top, anomalies] = await Promise.all([
        loadUPlot(),
        this.api().series(node.id, to - 24 * HOUR, to, 'hour'),
        this.api()
          .series(node.id, to - 30 * DAY, to, 'day')
          .then(toDaily),
        this.api().nodeUsers(node.id, month.from, month.to, 10),
        // The marks are a bonus: charts without them beat no charts when the detector cannot answer.
        this.api()
          .nodeAnomalies(node.id, to - 30 * DAY, to)
          .catch((): AnomalyView[] => []),
      ]);
      if (this.current !== node.id) return;
      status.textContent = '';
      fillRows(
        users,
        top.map((u, i) => ({
          data: { user: String(u.userId) },
          cells: [
            { text: String(i + 1), num: true },
            { text: String(u.userId) },
            { text: formatBytes(u.up), num: true },
            { text: formatBytes(u.down), num: true },
            { text: formatBytes(u.total), num: true },
          ],
        })),
        'No per-user traffic on this node in the last 30 days.',
        5,
      );
      this.drawn = { U, hourly, daily, anomalies };
      this.drawTraffic();
    } catch (err) {
      if (this.current !== node.id) return;
      status.textContent = `Could not load the series: ${(err as Error).message}`;
      status.className = 'chart-status error';
    }
  }

  /**
   * The hourly and daily RX/TX bars, on a linear scale or (the dialog's "Log scale" box) a log scale, where a TX a
   * thousand times smaller than RX still shows as a bar.
   */
  private drawTraffic(): void {
    this.destroyCharts();
    const host = must(this.dialog.querySelector<HTMLElement>('[data-field="charts"]'), '[data-field="charts"]');
    host.replaceChildren();
    if (!this.drawn) return;
    const { U, hourly, daily, anomalies } = this.drawn;
    const log = this.logScale.checked;
    const width = Math.max(320, host.clientWidth || 860);
    for (const [title, s, step] of [
      ['Last 24 hours, per hour', hourly, 3600],
      ['Last 30 days, per day', daily, 86_400],
    ] as const) {
      const box = document.createElement('div');
      box.className = 'chart';
      box.dataset.scale = log ? 'log' : 'linear';
      host.append(box);
      const marks = marksByBucket(s.at, step * 1000, anomalies);
      this.charts.push(new U(chartOptions(U, title, width, step, s, log, marks), [s.at, gaps(s.rx), gaps(s.tx)], box));
      const list = anomalyList(marks, s.at, (sec) => bucketLabel(sec, step), step >= 86_400);
      if (list) box.append(list);
      if (!s.rx.some((v) => v > 0) && !s.tx.some((v) => v > 0)) {
        const empty = document.createElement('p');
        empty.className = 'muted';
        empty.textContent = 'No traffic recorded in this range.';
        box.append(empty);
      }
    }
  }

  private destroyCharts(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }

  private dispose(): void {
    this.destroyCharts();
    this.drawn = null;
    this.load.dispose();
    if (!this.dialog.open) this.current = null;
  }
}
