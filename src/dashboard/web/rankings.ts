/** Top nodes by traffic in a window, and top users by traffic in a day range; a row opens the node or the user. */
import type { Api, NodeWindow } from './api.js';
import { dayRange, fillRows, must } from './dom.js';
import { reportDays, wireExport } from './export-csv.js';
import { formatBytes } from './format.js';

const LIMIT = 10;

export interface RankingsOptions {
  api: () => Api;
  onNode: (id: number) => void;
  onUser: (id: number) => void;
  onError: (err: unknown) => void;
}

export class Rankings {
  private readonly nodeBody: HTMLTableSectionElement;
  private readonly userBody: HTMLTableSectionElement;
  private readonly windowSel: HTMLSelectElement;
  private readonly rangeSel: HTMLSelectElement;
  private readonly exporter: { describe: () => void };

  constructor(
    root: HTMLElement,
    private readonly opts: RankingsOptions,
  ) {
    this.nodeBody = must(root.querySelector<HTMLTableElement>('#rank-nodes'), '#rank-nodes').tBodies[0];
    this.userBody = must(root.querySelector<HTMLTableElement>('#rank-users'), '#rank-users').tBodies[0];
    this.windowSel = must(root.querySelector<HTMLSelectElement>('#rank-window'), '#rank-window');
    this.rangeSel = must(root.querySelector<HTMLSelectElement>('#rank-range'), '#rank-range');
    this.windowSel.addEventListener('change', () => void this.refreshNodes().catch(opts.onError));
    this.exporter = wireExport(
      must(root.querySelector<HTMLButtonElement>('#rank-export'), '#rank-export'),
      must(root.querySelector<HTMLElement>('#rank-export-note'), '#rank-export-note'),
      () => reportDays(dayRange(Number(this.rangeSel.value))),
      () => {
        const days = reportDays(dayRange(Number(this.rangeSel.value)));
        return { api: opts.api(), by: 'user', days, filename: `users-${days.from}-to-${days.to}.csv` };
      },
    );
    this.rangeSel.addEventListener('change', () => {
      this.exporter.describe();
      void this.refreshUsers().catch(opts.onError);
    });
    root.addEventListener('click', (e) => this.onActivate(e.target));
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') this.onActivate(e.target);
    });
  }

  /** The collector's zone became known (or changed): the days on screen are counted in it. */
  zoneChanged(): void {
    this.exporter.describe();
    void this.refreshUsers().catch(this.opts.onError);
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshNodes(), this.refreshUsers()]);
  }

  private async refreshNodes(): Promise<void> {
    const ranks = await this.opts.api().rankNodes(this.windowSel.value as NodeWindow, LIMIT);
    fillRows(
      this.nodeBody,
      ranks.map((r, i) => ({
        data: { node: String(r.id) },
        cells: [
          { text: String(i + 1), num: true },
          { text: r.name },
          { text: formatBytes(r.rx), num: true },
          { text: formatBytes(r.tx), num: true },
          { text: formatBytes(r.total), num: true },
        ],
      })),
      'No traffic in this window.',
      5,
    );
  }

  private async refreshUsers(): Promise<void> {
    const { from, to } = dayRange(Number(this.rangeSel.value));
    const ranks = await this.opts.api().rankUsers(from, to, LIMIT);
    fillRows(
      this.userBody,
      ranks.map((r, i) => ({
        data: { user: String(r.userId) },
        cells: [
          { text: String(i + 1), num: true },
          { text: String(r.userId) },
          { text: formatBytes(r.up), num: true },
          { text: formatBytes(r.down), num: true },
          { text: formatBytes(r.total), num: true },
        ],
      })),
      'No user traffic in this range.',
      5,
    );
  }

  private onActivate(target: EventTarget | null): void {
    if (!(target instanceof Element)) return;
    const tr = target.closest<HTMLTableRowElement>('tr[data-node], tr[data-user]');
    if (!tr) return;
    if (tr.dataset.node) this.opts.onNode(Number(tr.dataset.node));
    else if (tr.dataset.user) this.opts.onUser(Number(tr.dataset.user));
  }
}
