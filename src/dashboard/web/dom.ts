/** Tiny DOM helpers shared by the small panels (the fleet table has its own, tuned path). */

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

/** Local midnight `daysBack` days before today, and the next local midnight: a [from, to) range in unix ms. */
export function dayRange(days: number, now = Date.now()): { from: number; to: number } {
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
