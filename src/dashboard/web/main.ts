/**
 * Wires the page: the token prompt, the live loop, the fleet table, the node chart, the rankings and the user view.
 * `?refresh=SECONDS` overrides the refresh cadence (otherwise the collector's heartbeat interval, else 60 s).
 */
import 'uplot/dist/uPlot.min.css';
import './app.css';
import { Api, ApiError } from './api.js';
import { FleetTable } from './fleet-table.js';
import type { NodeView } from './model.js';
import { NodeChartDialog } from './node-chart.js';
import { Rankings } from './rankings.js';
import { clearToken, loadToken, saveToken } from './session.js';
import { LiveLoop } from './live.js';
import { UserView } from './user-view.js';
import { QuotaPanels } from './quota-panels.js';
import { quotaForNode } from './quota-model.js';
import { must } from './dom.js';
import { plural } from './format.js';

const $ = <T extends HTMLElement>(sel: string): T => must(document.querySelector<T>(sel), sel);

const params = new URLSearchParams(location.search);
const refreshOverride = Number(params.get('refresh'));
let heartbeatSec: number | null = null;
let api: Api | null = null;
let nodes: NodeView[] = [];
let names = new Map<number, string>();
let firstFill = true;
let lastOk: number | null = null;
/** The collector's clock minus ours: "last seen … ago" is counted on the collector's clock. */
let clockSkew = 0;
const serverNow = (): number => Date.now() + clockSkew;

const loginView = $<HTMLElement>('#login');
const appView = $<HTMLElement>('#app');
const loginForm = $<HTMLFormElement>('#login-form');
const loginError = $<HTMLElement>('#login-error');
const status = $<HTMLElement>('#status');
const counts = $<HTMLElement>('#fleet-counts');

const getApi = (): Api => {
  if (!api) throw new ApiError('unauthorized', 'Not signed in');
  return api;
};

const chart = new NodeChartDialog($<HTMLDialogElement>('#node-dialog'), getApi, (id) => void userView.show(id));
const fleetTable = $<HTMLTableElement>('#fleet');
const quotaPanels = new QuotaPanels($<HTMLTableElement>('#pools'), $<HTMLTableElement>('#alerts'));
const table = new FleetTable(fleetTable, {
  onOpen: (n) => void chart.open(n, serverNow()),
  quota: (id) => quotaForNode(id, quotaPanels.quotas),
});
const openNode = (id: number): void => {
  const n = nodes.find((x) => x.id === id);
  if (n) void chart.open(n, serverNow());
};
const userView = new UserView($<HTMLElement>('#user-view'), getApi, () => names);
const rankings = new Rankings($<HTMLElement>('#rankings'), {
  api: getApi,
  onNode: openNode,
  onUser: (id) => void userView.show(id),
  onError: (err) => showError(err),
});

function intervalMs(): number {
  if (refreshOverride > 0) return refreshOverride * 1000;
  return (heartbeatSec ?? 60) * 1000;
}

async function refreshFleet(): Promise<void> {
  const res = await getApi().nodes();
  if (firstFill) performance.mark('fleet-data');
  heartbeatSec = res.heartbeatIntervalSec;
  clockSkew = res.serverTime - Date.now();
  nodes = res.nodes;
  names = new Map(nodes.map((n) => [n.id, n.name]));
  const t0 = performance.now();
  table.update(nodes, res.serverTime);
  performance.measure('fleet-update', { start: t0 });
  const online = nodes.reduce((s, n) => s + (n.online ? 1 : 0), 0);
  counts.textContent = `${plural(nodes.length, 'node')} · ${online} online · ${nodes.length - online} offline`;
  if (firstFill) {
    firstFill = false;
    void fleetTable.offsetHeight; // the first fill counts once it is laid out, not just built
    performance.mark('fleet-filled');
    document.body.dataset.filledMs = String(Math.round(performance.now()));
  }
}

const live = new LiveLoop({
  intervalMs,
  tick: async () => {
    await quotaPanels.refresh(getApi());
    await refreshFleet();
    await rankings.refresh();
  },
  onOk: (at) => {
    lastOk = at;
    status.className = 'status ok';
    status.textContent = `Live · updated ${new Date(at).toLocaleTimeString()} · every ${Math.round(intervalMs() / 1000)} s`;
  },
  onError: (err) => showError(err),
});

function showError(err: unknown): void {
  if (err instanceof ApiError && err.kind === 'unauthorized') {
    signOut('The collector no longer accepts this token. Enter the admin token again.');
    return;
  }
  status.className = 'status down';
  const what =
    err instanceof ApiError && err.kind === 'unreachable'
      ? 'The collector cannot be reached'
      : `Refresh failed: ${(err as Error).message}`;
  const since = lastOk === null ? '' : ` from ${new Date(lastOk).toLocaleTimeString()}`;
  status.textContent = `${what} — showing the data${since}, retrying every ${Math.round(intervalMs() / 1000)} s`;
}

function signOut(message: string): void {
  live.stop();
  clearToken();
  api = null;
  appView.hidden = true;
  loginView.hidden = false;
  loginError.textContent = message;
  $<HTMLInputElement>('#token').focus();
}

function enter(token: string): void {
  api = new Api({ token });
  loginView.hidden = true;
  appView.hidden = false;
  live.start();
}

loginForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const token = $<HTMLInputElement>('#token').value.trim();
  if (!token) return;
  loginError.textContent = 'Checking…';
  const probe = new Api({ token });
  probe.nodes().then(
    () => {
      saveToken(token);
      loginError.textContent = '';
      $<HTMLInputElement>('#token').value = '';
      enter(token);
    },
    (err: unknown) => {
      loginError.textContent =
        err instanceof ApiError && err.kind === 'unauthorized'
          ? 'Wrong admin token: the collector answered 401 Unauthorized.'
          : err instanceof ApiError && err.kind === 'unreachable'
            ? 'The collector cannot be reached. Check that it is running.'
            : `Sign-in failed: ${(err as Error).message}`;
    },
  );
});

$<HTMLButtonElement>('#sign-out').addEventListener('click', () => signOut('Signed out.'));
$<HTMLInputElement>('#fleet-filter').addEventListener('input', (e) =>
  table.setFilter((e.target as HTMLInputElement).value),
);
must(
  $<HTMLDialogElement>('#node-dialog').querySelector('[data-action="close"]'),
  '[data-action="close"]',
).addEventListener('click', () => $<HTMLDialogElement>('#node-dialog').close());
// Between refreshes (60 s by default) "last seen … ago" keeps counting; only cells whose text changed are written.
setInterval(() => {
  if (api && nodes.length) table.update(nodes, serverNow());
}, 5000);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') live.now();
});

const saved = loadToken();
if (saved) enter(saved);
else {
  loginView.hidden = false;
  $<HTMLInputElement>('#token').focus();
}
