/** Tiny DOM helpers shared by the small panels (the fleet table has its own, tuned path). */
import { isValidTimeZone, localMidnight, localParts } from '../../common/calendar.js';

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { className?: string; text?: string; data?: Record<string, string>; title?: string } = {},
  children: Array<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.text !== undefined) e.textContent = props.text;
  if (props.title) e.title = props.title;
  if (props.data) for (const [k, v] of Object.entries(props.data)) e.dataset[k] = v;
  e.append(...children);
  return e;
}

export interface Cell {
  text: string;
  num?: boolean;
}

/** Replaces a tbody's rows in one go; `data` goes on each row's dataset (for delegated clicks). */
export function fillRows(
  tbody: HTMLTableSectionElement,
  rows: Array<{ cells: Cell[]; data?: Record<string, string> }>,
  empty: string,
  cols: number,
): void {
  const frag = document.createDocumentFragment();
  if (rows.length === 0) {
    const td = el('td', { className: 'muted', text: empty });
    td.colSpan = cols;
    frag.append(el('tr', {}, [td]));
  }
  for (const r of rows) {
    const tr = el(
      'tr',
      { data: r.data },
      r.cells.map((c) => el('td', { className: c.num ? 'num' : '', text: c.text })),
    );
    if (r.data) tr.tabIndex = 0;
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
}

let zone: string | null = null;

/**
 * The collector's time zone (GET /api/v1/nodes says it). Per-user traffic is booked on the collector's local days,
 * so the dashboard's day ranges and its report exports are counted in that zone, not the browser's.
 */
export function setCollectorZone(timeZone: unknown): void {
  zone = typeof timeZone === 'string' && isValidTimeZone(timeZone) ? timeZone : null;
}
export const collectorZone = (): string | null => zone;

/**
 * The last `days` whole days up to today, as a [from, to) range in unix ms: midnight `days - 1` days before today
 * and the next midnight, in the collector's zone (the browser's until the collector has said which).
 */
export function dayRange(days: number, now = Date.now(), timeZone = zone): { from: number; to: number } {
  if (timeZone) {
    const p = localParts(now, timeZone);
    const at = (offset: number) => {
      const d = new Date(Date.UTC(p.year, p.month - 1, p.day + offset));
      return localMidnight(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), timeZone);
    };
    return { from: at(-(days - 1)), to: at(1) };
  }
  const d = new Date(now);
  const today = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  const from = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1)).getTime();
  const to = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1).getTime();
  return { from, to };
}

/** An element the page has by construction (index.html): a missing one is a bug, said clearly rather than crashing later. */
export function must<T>(el: T | null | undefined, what: string): T {
  if (el === null || el === undefined) throw new Error(`dashboard: no element ${what} in the page`);
  return el;
}
