/** The quota bar: percent, a filled bar, used / limit; the projection on hover (title). Painted only when it changed. */
import type { QuotaBarView } from './quota-model.js';
import { quotaLevel, quotaText, quotaTitle } from './quota-model.js';

const painted = new WeakMap<HTMLElement, string>();

export function paintQuotaCell(td: HTMLElement, q: QuotaBarView | undefined): void {
  const key = q ? `${q.id}|${q.percent}|${q.used}|${q.limit}|${q.reachAt24h}|${q.reachAtPeriod}` : '-';
  if (painted.get(td) === key) return;
  painted.set(td, key);
  if (!q) {
    td.replaceChildren();
    td.textContent = '—';
    td.title = 'no quota';
    td.className = 'quota none';
    return;
  }
  td.className = `quota ${quotaLevel(q)}`;
  td.title = quotaTitle(q);
  const pct = document.createElement('span');
  pct.className = 'quota-pct';
  pct.textContent = `${q.percent} %`;
  const bar = document.createElement('span');
  bar.className = 'quota-bar';
  bar.setAttribute('role', 'progressbar');
  bar.setAttribute('aria-valuemin', '0');
  bar.setAttribute('aria-valuemax', '100');
  bar.setAttribute('aria-valuenow', String(Math.min(100, q.basisPoints / 100)));
  const fill = document.createElement('span');
  fill.className = 'quota-fill';
  fill.style.width = `${Math.min(100, q.basisPoints / 100)}%`;
  bar.append(fill);
  const text = document.createElement('span');
  text.className = 'quota-text';
  text.textContent = quotaText(q);
  const box = document.createElement('div');
  box.className = 'quota-cell';
  box.append(pct, bar, text);
  td.replaceChildren(box);
}
