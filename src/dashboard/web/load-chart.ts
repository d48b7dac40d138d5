/**
 * A node's load average (1, 5 and 15 minutes) over the last 24 hours (raw samples, about one a minute), 7 or 30 days
 * (hourly averages, with each hour's 1-minute peak dashed), drawn with uPlot under the traffic charts of the node
 * dialog. The window buttons redraw in place; an answer for a node or window no longer shown is dropped.
 */
import type uPlot from 'uplot';
import type { Api } from './api.js';
import { el } from './dom.js';
import { LOAD_WINDOWS, pointCount, type LoadView, type LoadWindow } from './load-model.js';
import { loadUPlot, type UPlotCtor } from './uplot-loader.js';

const TITLES: Record<LoadWindow, string> = {
  '24h': 'Last 24 hours, about one sample a minute',
  '7d': 'Last 7 days, hourly average and 1 min peak',
  '30d': 'Last 30 days, hourly average and 1 min peak',
};

/** The newest value of a column (its last non-null one), for the legend when the cursor is off the chart. */
function latest(col: ReadonlyArray<number | null>): number | null {
  for (let i = col.length - 1; i >= 0; i--) if (col[i] !== null) return col[i];
  return null;
}

function loadOptions(title: string, width: number, v: LoadView): uPlot.Options {
  const cols = [v.at, v.load1, v.load5, v.load15, v.peak1 ?? []];
  // Without the cursor over the chart the legend gives the newest point (instead of uPlot's empty "Time: --" row).
  const fmt = (_u: uPlot, val: number | null, series: number, idx: number | null): string => {
    const x = idx === null || idx === undefined ? latest(cols[series]) : val;
    return x === null || x === undefined ? '–' : x.toFixed(2);
  };
  const line = (label: string, stroke: string, width = 1.5, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    width,
    ...(dash ? { dash } : {}),
    value: fmt,
    points: { show: false },
  });
  const when = (sec: number) =>
    new Date(sec * 1000).toLocaleString(undefined, {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
  const series: uPlot.Series[] = [
    {
      label: v.resolution === 'hour' ? 'Hour' : 'Time',
      value: (_u, at, _s, idx) => (idx === null || at === null ? 'newest' : when(at)),
    },
    line('1 min', '#2f6fdf'),
    line('5 min', '#e0812b'),
    line('15 min', '#3a9d5d', 2),
  ];
  if (v.peak1) series.push(line('1 min peak', 'rgba(47,111,223,0.55)', 1, [4, 3]));
  return {
    title,
    width,
    height: 200,
    scales: {
      x: { time: true },
      y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil((max ?? 0) * 1.1 * 4) / 4)] },
    },
    axes: [
      { stroke: '#5b6472', grid: { stroke: '#eceff3' } },
      {
        stroke: '#5b6472',
        grid: { stroke: '#eceff3' },
        size: 48,
        values: (_u, splits) => splits.map((x) => x.toFixed(2)),
      },
    ],
    series,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
  };
}

export class LoadHistoryPanel {
  private chart: uPlot | null = null;
  private nodeId: number | null = null;
  private window: LoadWindow = '24h';
  /** Bumped by every show/dispose: an answer that arrives for an earlier one is dropped. */
  private turn = 0;
  private readonly buttons: HTMLButtonElement[];
  private readonly box: HTMLElement;
  private readonly status: HTMLElement;

  constructor(
    host: HTMLElement,
    private readonly api: () => Api,
  ) {
    this.buttons = LOAD_WINDOWS.map((w) => {
      const b = el('button', { className: 'link', text: w, data: { loadWindow: w } });
      b.type = 'button';
      b.addEventListener('click', () => {
        if (this.nodeId !== null) void this.show(this.nodeId, w);
      });
      return b;
    });
    this.status = el('p', { className: 'chart-status', data: { field: 'load-status' } });
    this.box = el('div', { className: 'chart', data: { field: 'load-chart' } });
    host.replaceChildren(
      el('div', { className: 'load-head' }, [
        el('h3', { text: 'Load average' }),
        el('span', { className: 'load-windows' }, this.buttons),
      ]),
      this.status,
      this.box,
    );
  }

  async show(nodeId: number, window: LoadWindow = nodeId === this.nodeId ? this.window : '24h'): Promise<void> {
    const turn = ++this.turn;
    this.destroyChart();
    this.nodeId = nodeId;
    this.window = window;
    for (const b of this.buttons) b.setAttribute('aria-pressed', String(b.dataset.loadWindow === window));
    this.status.textContent = 'Loading…';
    this.status.className = 'chart-status';
    let U: UPlotCtor;
    let view: LoadView;
    try {
      [U, view] = await Promise.all([loadUPlot(), this.api().load(nodeId, window)]);
    } catch (err) {
      if (turn !== this.turn) return;
      this.status.textContent = `Could not load the load history: ${(err as Error).message}`;
      this.status.className = 'chart-status error';
      return;
    }
    if (turn !== this.turn) return;
    const n = pointCount(view);
    this.status.textContent =
      n === 0 ? 'No load samples in this range (the agent sends none, or the node was offline).' : '';
    const width = Math.max(320, this.box.clientWidth || 860);
    const data: uPlot.AlignedData = [view.at, view.load1, view.load5, view.load15, ...(view.peak1 ? [view.peak1] : [])];
    this.chart = new U(loadOptions(TITLES[window], width, view), data, this.box);
    this.box.dataset.points = String(n);
    this.box.dataset.resolution = view.resolution;
  }

  dispose(): void {
    this.turn++;
    this.destroyChart();
    this.nodeId = null;
  }

  private destroyChart(): void {
    this.chart?.destroy();
    this.chart = null;
    delete this.box.dataset.points;
    delete this.box.dataset.resolution;
  }
}
