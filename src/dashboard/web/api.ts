/**
 * The collector's admin API as the page uses it: one fetch wrapper that adds the bearer token and turns every
 * failure into an ApiError with a kind the UI can word (unauthorized, unreachable, http).
 */
import { LiveStream, type LiveStreamOptions } from './live-stream.js';
import {
  listOf,
  toNodeRank,
  toNodeView,
  toSeriesView,
  toUserRank,
  toUserTraffic,
  type NodeRank,
  type NodeView,
  type SeriesView,
  type UserRank,
  type UserTrafficView,
} from './model.js';
import { toAnomalies, type AnomalyView } from './anomaly-marks.js';
import { toLoadView, type LoadView, type LoadWindow } from './load-model.js';

export type ApiErrorKind = 'unauthorized' | 'unreachable' | 'http';

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status = 0,
    readonly code = '',
  ) {
    super(message);
  }
}

export type NodeWindow = 'period' | 'total' | '24h';
export type SeriesBucket = 'hour' | 'day';

export interface FleetSnapshot {
  nodes: NodeView[];
  serverTime: number;
  heartbeatIntervalSec: number | null;
  /** How long after its last heartbeat the collector still counts a node online (null from an older collector). */
  offlineAfterMs: number | null;
  /** The collector's time zone (its per-user days), when it says. */
  timezone: string | null;
}

export interface ApiOptions {
  token: string;
  /** Prefix of the API paths; '.' (the default) keeps them relative to the page, so a reverse proxy may mount the collector under a sub-path. */
  base?: string;
  timeoutMs?: number;
}

export class Api {
  constructor(private readonly opts: ApiOptions) {}

  /** The live-update stream (live-stream.ts) with this token, relative to the page like every other path. */
  liveStream(handlers: Omit<LiveStreamOptions, 'url' | 'token'>): LiveStream {
    return new LiveStream({ ...handlers, url: `${this.opts.base ?? '.'}/api/v1/live`, token: this.opts.token });
  }

  async get(path: string): Promise<unknown> {
    const res = await this.request(path, 'application/json');
    return readJson(res);
  }

  /** A CSV answer as a Blob (for a download); failures are worded as for JSON requests. */
  async getCsv(path: string): Promise<Blob> {
    const res = await this.request(path, 'text/csv');
    if (!res.ok) await readJson(res);
    return res.blob();
  }

  private async request(path: string, accept: string): Promise<Response> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.opts.timeoutMs ?? 10_000);
    try {
      return await fetch(`${this.opts.base ?? '.'}${path}`, {
        headers: { authorization: `Bearer ${this.opts.token}`, accept },
        signal: ctrl.signal,
        cache: 'no-store',
      });
    } catch {
      throw new ApiError('unreachable', 'The collector cannot be reached');
    } finally {
      clearTimeout(timer);
    }
  }

  /** The billing report for whole days `from`..`to` (YYYY-MM-DD, `to` included, in the collector's zone) as CSV. */
  reportCsv(by: 'node' | 'user' | 'user-node', from: string, to: string, userId?: number): Promise<Blob> {
    const q = new URLSearchParams({ from, to, by, format: 'csv' });
    if (userId !== undefined) q.set('user', String(userId));
    return this.getCsv(`/api/v1/reports?${q}`);
  }

  /** The fleet, the collector's clock (for "last seen … ago") and, when it says so, its heartbeat interval. */
  async nodes(): Promise<FleetSnapshot> {
    const body = await this.get('/api/v1/nodes');
    const o = (body ?? {}) as Record<string, unknown>;
    const interval = o.heartbeatIntervalSec;
    return {
      nodes: listOf(body, 'nodes').map(toNodeView),
      serverTime: typeof o.serverTime === 'number' ? o.serverTime : Date.now(),
      heartbeatIntervalSec: typeof interval === 'number' && interval > 0 ? interval : null,
      offlineAfterMs: typeof o.offlineAfterMs === 'number' && o.offlineAfterMs > 0 ? o.offlineAfterMs : null,
      timezone: typeof o.timezone === 'string' ? o.timezone : null,
    };
  }

  async series(nodeId: number, from: number, to: number, bucket: SeriesBucket): Promise<SeriesView> {
    const q = new URLSearchParams({ from: String(from), to: String(to), bucket });
    return toSeriesView(await this.get(`/api/v1/nodes/${nodeId}/series?${q}`));
  }

  /** The collector's unusual-traffic findings for one node in [from, to) (node hours and silences). */
  async nodeAnomalies(nodeId: number, from: number, to: number): Promise<AnomalyView[]> {
    const q = new URLSearchParams({
      from: String(from),
      to: String(to),
      node: String(nodeId),
      kind: 'node-hourly,node-silent',
    });
    return toAnomalies(await this.get(`/api/v1/anomalies?${q}`));
  }

  /** The node's load average history: raw samples (24h) or hourly averages with each hour's peak (7d, 30d). */
  async load(nodeId: number, window: LoadWindow): Promise<LoadView> {
    return toLoadView(await this.get(`/api/v1/nodes/${nodeId}/load?window=${window}`));
  }

  async rankNodes(window: NodeWindow, limit: number): Promise<NodeRank[]> {
    const q = new URLSearchParams({ window, limit: String(limit) });
    return listOf(await this.get(`/api/v1/rankings/nodes?${q}`), 'nodes').map(toNodeRank);
  }

  async rankUsers(from: number, to: number, limit: number): Promise<UserRank[]> {
    const q = new URLSearchParams({ from: String(from), to: String(to), limit: String(limit) });
    return listOf(await this.get(`/api/v1/rankings/users?${q}`), 'users').map(toUserRank);
  }

  /** The node's top users by traffic in [from, to). */
  async nodeUsers(nodeId: number, from: number, to: number, limit: number): Promise<UserRank[]> {
    const q = new URLSearchParams({ from: String(from), to: String(to), limit: String(limit) });
    return listOf(await this.get(`/api/v1/nodes/${nodeId}/users?${q}`), 'users').map(toUserRank);
  }

  async userTraffic(
    userId: number,
    from: number,
    to: number,
    names: ReadonlyMap<number, string>,
  ): Promise<UserTrafficView> {
    const q = new URLSearchParams({ from: String(from), to: String(to) });
    return toUserTraffic(userId, await this.get(`/api/v1/users/${userId}/traffic?${q}`), names);
  }
}

/** The body of a JSON answer, or the ApiError its status means. */
async function readJson(res: Response): Promise<unknown> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (res.ok) return body;
  const err = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const detail = err?.message ?? res.statusText;
  if (res.status === 401 || res.status === 403) {
    throw new ApiError('unauthorized', 'The admin token was refused', res.status, err?.code ?? '');
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    throw new ApiError(
      'unreachable',
      `The collector is unavailable (${res.status}): ${detail}`,
      res.status,
      err?.code ?? '',
    );
  }
  throw new ApiError('http', `${res.status}: ${detail}`, res.status, err?.code ?? '');
}
