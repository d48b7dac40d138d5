/**
 * Wires the page: the token prompt, the live stream and the refresh loop, the fleet table, the node chart, the
 * rankings and the user view. The fleet's rows follow the collector's live stream (GET /api/v1/live) as heartbeats
 * land; the loop reloads the panels every heartbeat interval, and the whole fleet too while the stream is down (the
 * fallback; once a minute while it is up). `?refresh=SECONDS` overrides the cadence.
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
import type { LiveStream } from './live-stream.js';
import { toNodeView } from './model.js';
import { UserView } from './user-view.js';
import { QuotaPanels } from './quota-panels.js';
import { quotaForNode } from './quota-model.js';
import { collectorZone, must, setCollectorZone } from './dom.js';
import { plural } from './format.js';

const $ = <T extends HTMLElement>(sel: string): T => must(document.querySelector<T>(sel), sel);

const params = new URLSearchParams(location.search);
const refreshOverride = Number(params.get('refresh'));
let heartbeatSec: number | null = null;
/** The collector's offline rule (ms after the last heartbeat), so rows fed by the stream turn offline on time. */
let offlineAfterMs: number | null = null;
let api: Api | null = null;
let stream: LiveStream | null = null;
/** The live stream is open: rows follow it, the full reload slows down. */
let streaming = false;
let streamNote = '';
/** The last reload failed: its message stays on the status line until a reload or a stream update succeeds. */
let pollFailing = false;
let lastFleetReload = 0;
const FLEET_RELOAD_WHILE_STREAMING_MS = 60_000;
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

/** A node as it stands now: offline (and without a current rate) once its last heartbeat is older than the rule. */
function aged(n: NodeView, now: number): NodeView {
  if (offlineAfterMs === null || !n.online) return n;
  if (n.lastSeen !== null && now - n.lastSeen <= offlineAfterMs) return n;
  return { ...n, online: false, rate: null };
}

/** Paints the fleet (table and counts) as it stands at the collector's `now`. */
function paintFleet(now: number): void {
  nodes = nodes.map((n) => aged(n, now));
  const t0 = performance.now();
  table.update(nodes, now);
  performance.measure('fleet-update', { start: t0 });
  const online = nodes.reduce((s, n) => s + (n.online ? 1 : 0), 0);
  counts.textContent = `${plural(nodes.length, 'node')} · ${online} online · ${nodes.length - online} offline`;
}

async function refreshFleet(): Promise<void> {
  const res = await getApi().nodes();
  lastFleetReload = Date.now();
  if (firstFill) performance.mark('fleet-data');
  heartbeatSec = res.heartbeatIntervalSec;
  offlineAfterMs = res.offlineAfterMs;
  if (res.timezone !== collectorZone()) {
    setCollectorZone(res.timezone);
    rankings.zoneChanged();
    userView.zoneChanged();
  }
  clockSkew = res.serverTime - Date.now();
  // A row the stream brought is kept when it is newer than this reload (which may have been read before it landed).
  const held = new Map(nodes.map((n) => [n.id, n]));
  nodes = res.nodes.map((n) => {
    const h = held.get(n.id);
    return h && h.lastSeen !== null && (n.lastSeen === null || h.lastSeen > n.lastSeen) ? h : n;
  });
  names = new Map(nodes.map((n) => [n.id, n.name]));
  paintFleet(res.serverTime);
  if (firstFill) {
    firstFill = false;
    void fleetTable.offsetHeight; // the first fill counts once it is laid out, not just built
    performance.mark('fleet-filled');
    document.body.dataset.filledMs = String(Math.round(performance.now()));
  }
}

/** Changed nodes from the stream: each replaces its row unless the row is newer; an unknown id is a new node. */
function applyStreamNodes(data: unknown): void {
  const body = (data ?? {}) as { serverTime?: unknown; nodes?: unknown };
  if (typeof body.serverTime === 'number') clockSkew = body.serverTime - Date.now();
  const byId = new Map(nodes.map((n, i) => [n.id, i]));
  for (const raw of Array.isArray(body.nodes) ? body.nodes : []) {
    const n = toNodeView(raw);
    if (!Number.isSafeInteger(n.id)) continue;
    const i = byId.get(n.id);
    if (i === undefined) {
      byId.set(n.id, nodes.length);
      nodes.push(n);
      names.set(n.id, n.name);
    } else if (nodes[i].lastSeen === null || (n.lastSeen ?? 0) >= nodes[i].lastSeen) nodes[i] = n;
  }
  paintFleet(serverNow());
  lastOk = Date.now();
  pollFailing = false;
  showLive();
}

function showLive(): void {
  if (lastOk === null) return;
  status.className = 'status ok';
  const how = streaming
    ? 'streaming'
    : `every ${Math.round(intervalMs() / 1000)} s${streamNote ? ` (live stream down: ${streamNote})` : ''}`;
  status.textContent = `Live · updated ${new Date(lastOk).toLocaleTimeString()} · ${how}`;
  status.dataset.stream = streaming ? 'open' : 'down';
}

function startStream(a: Api): void {
  stream?.stop();
  stream = a.liveStream({
    onEvent: (name, data) => {
      if (name === 'nodes') applyStreamNodes(data);
      else if (name === 'hello') {
        const d = (data ?? {}) as { serverTime?: unknown; offlineAfterMs?: unknown };
        if (typeof d.serverTime === 'number') clockSkew = d.serverTime - Date.now();
        if (typeof d.offlineAfterMs === 'number') offlineAfterMs = d.offlineAfterMs;
        // Whatever landed while the stream was down: one full reload, then the stream carries the changes.
        lastFleetReload = 0;
        live.now();
      } else if (name === 'resync') {
        lastFleetReload = 0;
        live.now();
      }
    },
    onState: (state, detail) => {
      if (state === 'connecting') return;
      const was = streaming;
      streaming = state === 'open';
      streamNote = state === 'down' ? detail : '';
      if (!pollFailing) showLive();
      // Stream lost: poll at once and from now on at the heartbeat cadence.
      if (was && !streaming) live.now();
    },
    onUnauthorized: () => signOut('The collector no longer accepts this token. Enter the admin token again.'),
  });
  stream.start();
}

const live = new LiveLoop({
  intervalMs,
  tick: async () => {
    await quotaPanels.refresh(getApi());
    table.quotasChanged();
    // While the stream is open it carries the fleet's rows; the whole list is reloaded once a minute all the same.
    if (!streaming || Date.now() - lastFleetReload >= FLEET_RELOAD_WHILE_STREAMING_MS) await refreshFleet();
    await rankings.refresh();
  },
  onOk: (at) => {
    lastOk = at;
    pollFailing = false;
    showLive();
  },
  onError: (err) => showError(err),
});

function showError(err: unknown): void {
  pollFailing = true;
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
  stream?.stop();
  stream = null;
  streaming = false;
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
  startStream(api);
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
// Between refreshes "last seen … ago" keeps counting and silent nodes turn offline; only changed cells are written.
setInterval(() => {
  if (api && nodes.length) paintFleet(serverNow());
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
