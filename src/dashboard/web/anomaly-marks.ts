/**
 * Unusual traffic on the node dialog's charts: the collector's findings (GET /api/v1/anomalies?node=) mapped to the
 * chart's buckets, drawn on the canvas as a red band with a marker over each bucket that holds one, and listed in
 * words under the chart (the canvas alone says nothing to a screen reader or a test).
 */
import type uPlot from 'uplot';
import { el } from './dom.js';
import { formatBytes } from './format.js';
import { listOf } from './model.js';

export interface AnomalyView {
  scope: string;
  kind: 'spike' | 'drop' | 'silent';
  /** Start and end of the flagged slot (or of the silence so far), unix ms. */
  at: number;
  until: number;
  observed: bigint;
  expected: bigint;
  low: bigint;
  high: bigint;
}

const big = (v: unknown): bigint => {
  try {
    return typeof v === 'string' || typeof v === 'number' ? BigInt(v) : 0n;
  } catch {
    return 0n;
  }
};

export function toAnomalies(body: unknown): AnomalyView[] {
  const out: AnomalyView[] = [];
  for (const item of listOf(body, 'anomalies')) {
    const o = (item ?? {}) as Record<string, unknown>;
    const kind = o.kind === 'spike' || o.kind === 'drop' || o.kind === 'silent' ? o.kind : null;
    if (!kind || typeof o.at !== 'number' || typeof o.until !== 'number') continue;
    out.push({
      scope: String(o.scope ?? ''),
      kind,
      at: o.at,
      until: o.until,
      observed: big(o.observed),
      expected: big(o.expected),
      low: big(o.low),
      high: big(o.high),
    });
  }
  return out;
}

/**
 * For each bucket of a chart (starts in unix seconds, each lasting until the next start, the last one `stepMs`), the
 * findings that overlap it: an hour's finding marks its hour and its day, a silence every bucket it spans.
 */
export function marksByBucket(at: readonly number[], stepMs: number, found: readonly AnomalyView[]): AnomalyView[][] {
  return at.map((sec, i) => {
    const start = sec * 1000;
    const end = i + 1 < at.length ? at[i + 1] * 1000 : start + stepMs;
    return found.filter((a) => a.at < end && a.until > start);
  });
}

const MARK = '#d92d20';

/** A uPlot plugin drawing each marked bucket: a pale red band over the plot and a red triangle at its top. */
export function anomalyPlugin(marks: readonly AnomalyView[][], stepSec: number): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx, bbox } = u;
          const xs = u.data[0];
          const drawn: string[] = [];
          ctx.save();
          for (let i = 0; i < marks.length; i++) {
            if (!marks[i].length) continue;
            const x0 = u.valToPos(xs[i] - stepSec / 2, 'x', true);
            const x1 = u.valToPos(xs[i] + stepSec / 2, 'x', true);
            const mid = (x0 + x1) / 2;
            ctx.fillStyle = 'rgba(217,45,32,0.12)';
            ctx.fillRect(x0, bbox.top, x1 - x0, bbox.height);
            const r = Math.max(5, Math.min(9, (x1 - x0) / 2)) * devicePixelRatio;
            ctx.fillStyle = MARK;
            ctx.beginPath();
            ctx.moveTo(mid - r, bbox.top);
            ctx.lineTo(mid + r, bbox.top);
            ctx.lineTo(mid, bbox.top + 1.6 * r);
            ctx.closePath();
            ctx.fill();
            drawn.push(`${Math.round(mid / devicePixelRatio)}:${Math.round((bbox.top + 0.5 * r) / devicePixelRatio)}`);
          }
          ctx.restore();
          // A point inside each marker, x:y in CSS pixels from the canvas' top left (read by the browser test).
          u.root.dataset.anomalyMarks = drawn.join(',');
        },
      ],
    },
  };
}

const KIND_TEXT = { spike: 'unusually high', drop: 'unusually low', silent: 'silent while online' } as const;

/**
 * The marked buckets in words, one line each, or null when there is none. `withTime`: name the finding's own hour
 * too (a day bucket marked by an unusual hour).
 */
export function anomalyList(
  marks: readonly AnomalyView[][],
  at: readonly number[],
  label: (sec: number) => string,
  withTime = false,
): HTMLElement | null {
  const items: HTMLElement[] = [];
  marks.forEach((found, i) => {
    if (!found.length) return;
    const a = found[0];
    const detail =
      a.kind === 'silent'
        ? `usually ${formatBytes(a.expected)} an hour`
        : `${formatBytes(a.observed)}, usual range ${formatBytes(a.low)} – ${formatBytes(a.high)}`;
    const more = found.length > 1 ? ` (+${found.length - 1} more)` : '';
    const time = withTime
      ? ` from ${new Date(a.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}`
      : '';
    items.push(
      el('li', {
        data: { kind: a.kind, at: String(at[i] * 1000) },
        text: `${label(at[i])}${time}: ${KIND_TEXT[a.kind]}, ${detail}${more}`,
      }),
    );
  });
  if (!items.length) return null;
  return el('ul', { className: 'anomaly-list', data: { field: 'anomalies' } }, items);
}
