/**
 * A node's traffic over the last 24 hours (hourly) and the last 30 days (daily), drawn with uPlot as RX/TX bars,
 * in a modal dialog opened from the fleet table.
 */
import uPlot from 'uplot';
import type { Api } from './api.js';
import { formatAgo, formatBytes, formatBytesNumber, formatDuration, formatLoad } from './format.js';
import type { NodeView, SeriesView } from './model.js';

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
  return { at: keys, rx: keys.map((k) => byDay.get(k)![0]), tx: keys.map((k) => byDay.get(k)![1]), bucketMs: DAY };
}

function chartOptions(title: string, width: number, stepSec: number): uPlot.Options {
  const bars = uPlot.paths.bars!({ size: [0.4, 40], gap: 1 });
  const fmt = (_u: uPlot, v: number | null) => (v === null ? '–' : formatBytesNumber(v));
  return {
    title,
    width,
    height: 220,
    // Half-step padding so the first and last bars are not cut in half by the plot edge.
    scales: { x: { time: true, range: (_u, min, max) => [min - stepSec / 2, max + stepSec / 2] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
    axes: [
      { stroke: '#5b6472', grid: { stroke: '#eceff3' } },
      { stroke: '#5b6472', grid: { stroke: '#eceff3' }, size: 72, values: (_u, splits) => splits.map((v) => formatBytesNumber(v)) },
    ],
    series: [
      {},
      { label: 'RX', stroke: '#2f6fdf', fill: 'rgba(47,111,223,0.55)', paths: bars, value: fmt, points: { show: false } },
      { label: 'TX', stroke: '#e0812b', fill: 'rgba(224,129,43,0.55)', paths: bars, value: fmt, points: { show: false } },
    ],
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

export class NodeChartDialog {
  private charts: uPlot[] = [];
  private current: number | null = null;

  constructor(private readonly dialog: HTMLDialogElement, private readonly api: () => Api) {
    dialog.addEventListener('close', () => this.dispose());
    dialog.addEventListener('click', (e) => {
      // A click on the backdrop (the dialog element itself, outside its content box) closes it.
      if (e.target === dialog) dialog.close();
    });
  }

  get openNodeId(): number | null {
    return this.current;
  }

  async open(node: NodeView, now = Date.now()): Promise<void> {
    this.dispose();
    this.current = node.id;
    const d = this.dialog;
    d.querySelector('[data-field="title"]')!.textContent = `${node.name} (#${node.id})`;
    d.querySelector('[data-field="facts"]')!.textContent = [
      node.online ? 'online' : 'offline',
      `last seen ${formatAgo(node.lastSeen, now)}`,
      `load ${formatLoad(node.load)}`,
      `up ${formatDuration(node.uptimeSec)}`,
      `period ${formatBytes(node.period.rx)} RX / ${formatBytes(node.period.tx)} TX`,
      `total ${formatBytes(node.total.rx)} RX / ${formatBytes(node.total.tx)} TX`,
    ].join(' · ');
    const status = d.querySelector<HTMLElement>('[data-field="status"]')!;
    const host = d.querySelector<HTMLElement>('[data-field="charts"]')!;
    host.replaceChildren();
    status.textContent = 'Loading…';
    status.className = 'chart-status';
    if (!d.open) d.showModal();
    const to = Math.ceil(now / HOUR) * HOUR;
    try {
      const [hourly, daily] = await Promise.all([
        this.api().series(node.id, to - 24 * HOUR, to, 'hour'),
        this.api().series(node.id, to - 30 * DAY, to, 'day').then(toDaily),
      ]);
      if (this.current !== node.id) return;
      status.textContent = '';
      const width = Math.max(320, host.clientWidth || 860);
      for (const [title, s, step] of [['Last 24 hours, per hour', hourly, 3600], ['Last 30 days, per day', daily, 86_400]] as const) {
        const box = document.createElement('div');
        box.className = 'chart';
        host.append(box);
        this.charts.push(new uPlot(chartOptions(title, width, step), [s.at, s.rx, s.tx], box));
        if (s.at.length === 0) {
          const empty = document.createElement('p');
          empty.className = 'muted';
          empty.textContent = 'No traffic recorded in this range.';
          box.append(empty);
        }
      }
    } catch (err) {
      if (this.current !== node.id) return;
      status.textContent = `Could not load the series: ${(err as Error).message}`;
      status.className = 'chart-status error';
    }
  }

  private dispose(): void {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    if (!this.dialog.open) this.current = null;
  }
}
