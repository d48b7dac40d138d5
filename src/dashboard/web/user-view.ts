/** A user id -> that user's traffic per node and in total over a day range. */
import type { Api } from './api.js';
import { dayRange, fillRows, must } from './dom.js';
import { reportDays, wireExport } from './export-csv.js';
import { formatBytes, plural } from './format.js';

export class UserView {
  private readonly form: HTMLFormElement;
  private readonly input: HTMLInputElement;
  private readonly rangeSel: HTMLSelectElement;
  private readonly exporter: { describe: () => void };
  private readonly body: HTMLTableSectionElement;
  private readonly summary: HTMLElement;

  constructor(
    root: HTMLElement,
    private readonly api: () => Api,
    private readonly names: () => ReadonlyMap<number, string>,
  ) {
    this.form = must(root.querySelector<HTMLFormElement>('#user-form'), '#user-form');
    this.input = must(root.querySelector<HTMLInputElement>('#user-id'), '#user-id');
    this.rangeSel = must(root.querySelector<HTMLSelectElement>('#user-range'), '#user-range');
    this.body = must(root.querySelector<HTMLTableElement>('#user-nodes'), '#user-nodes').tBodies[0];
    this.summary = must(root.querySelector<HTMLElement>('#user-summary'), '#user-summary');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.lookUp();
    });
    this.exporter = wireExport(
      must(root.querySelector<HTMLButtonElement>('#user-export'), '#user-export'),
      must(root.querySelector<HTMLElement>('#user-export-note'), '#user-export-note'),
      () => reportDays(dayRange(Number(this.rangeSel.value))),
      () => {
        const raw = this.input.value.trim();
        if (!/^[0-9]{1,15}$/.test(raw)) return 'Enter a numeric user id to export.';
        const days = reportDays(dayRange(Number(this.rangeSel.value)));
        const userId = Number(raw);
        return { api: api(), by: 'user-node', days, userId, filename: `user-${userId}-${days.from}-to-${days.to}.csv` };
      },
    );
    this.rangeSel.addEventListener('change', () => {
      this.exporter.describe();
      if (this.input.value) void this.lookUp();
    });
  }

  /** The collector's zone became known (or changed): the days on screen are counted in it. */
  zoneChanged(): void {
    this.exporter.describe();
    if (this.input.value) void this.lookUp();
  }

  /** Fills the form with `id` and looks it up (from a click in the user ranking). */
  show(id: number): Promise<void> {
    this.input.value = String(id);
    this.form.scrollIntoView({ block: 'nearest' });
    return this.lookUp();
  }

  async lookUp(): Promise<void> {
    const raw = this.input.value.trim();
    if (!/^[0-9]{1,15}$/.test(raw)) {
      this.summary.textContent = 'Enter a numeric user id.';
      this.summary.className = 'error';
      return;
    }
    const id = Number(raw);
    const { from, to } = dayRange(Number(this.rangeSel.value));
    this.summary.textContent = 'Loading…';
    this.summary.className = 'muted';
    try {
      const v = await this.api().userTraffic(id, from, to, this.names());
      fillRows(
        this.body,
        v.nodes.map((n) => ({
          data: n.nodeId === null ? undefined : { node: String(n.nodeId) },
          cells: [
            { text: n.name },
            { text: formatBytes(n.up), num: true },
            { text: formatBytes(n.down), num: true },
            { text: formatBytes(n.total), num: true },
          ],
        })),
        'No traffic for this user in this range.',
        4,
      );
      this.summary.textContent = `User ${id}: ${formatBytes(v.total)} in total (${formatBytes(v.up)} up, ${formatBytes(v.down)} down) on ${plural(v.nodes.length, 'node')}`;
      this.summary.className = 'summary';
    } catch (err) {
      this.body.replaceChildren();
      this.summary.textContent = `Could not load user ${id}: ${(err as Error).message}`;
      this.summary.className = 'error';
    }
  }
}
