/**
 * The dashboard's view of the collector's JSON. Every response goes through one normaliser here, so a change of
 * the collector's shapes is absorbed in this file only. Byte counts become bigint; missing fields become null/0n.
 */
import { toBig } from './format.js';

type Json = Record<string, unknown>;
export interface Traffic { rx: bigint; tx: bigint }

export interface NodeView {
  id: number;
  name: string;
  online: boolean;
  lastSeen: number | null;
  load: [number, number, number] | null;
  uptimeSec: number | null;
  period: Traffic;
  total: Traffic;
  periodStart: number | null;
  periodEnd: number | null;
  agentVersion: string | null;
  hostname: string | null;
}

export interface SeriesView { at: number[]; rx: number[]; tx: number[]; bucketMs: number }
export interface NodeRank { id: number; name: string; rx: bigint; tx: bigint; total: bigint }
export interface UserRank { userId: number; up: bigint; down: bigint; total: bigint }
export interface UserNodeRow { nodeId: number | null; name: string; up: bigint; down: bigint; total: bigint }
export interface UserTrafficView { userId: number; nodes: UserNodeRow[]; up: bigint; down: bigint; total: bigint }

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** `{nodes: [...]}`, `{data: [...]}` or a bare array: the list inside. */
export function listOf(body: unknown, ...keys: string[]): unknown[] {
  if (Array.isArray(body)) return body;
  const o = obj(body);
  for (const k of [...keys, 'items', 'data']) if (Array.isArray(o[k])) return o[k] as unknown[];
  return [];
}

/** {rx, tx} of "period"/"total" from the collector's `traffic: {periodRx, …}`, a nested `{period: {rx, tx}}` or flat fields. */
function traffic(o: Json, prefix: string): Traffic {
  const t = obj(o.traffic);
  const nested = obj(o[prefix]);
  return {
    rx: toBig(t[`${prefix}Rx`] ?? nested.rx ?? o[`${prefix}Rx`]),
    tx: toBig(t[`${prefix}Tx`] ?? nested.tx ?? o[`${prefix}Tx`]),
  };
}

function loadOf(v: unknown): [number, number, number] | null {
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number')) return [v[0], v[1], v[2]];
  const o = obj(v);
  if (typeof o.load1 === 'number') return [o.load1, Number(o.load5), Number(o.load15)];
  return null;
}

/** Accepts a unix-ms number or an ISO string. */
function timeOf(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function toNodeView(raw: unknown): NodeView {
  const o = obj(raw);
  const t = obj(o.traffic);
  return {
    id: Number(o.id),
    name: String(o.name ?? `node ${String(o.id)}`),
    online: o.online === true || o.status === 'online',
    lastSeen: timeOf(o.lastSeen ?? o.lastSeenAt),
    load: loadOf(o.load),
    uptimeSec: numOrNull(o.uptimeSec),
    period: traffic(o, 'period'),
    total: traffic(o, 'total'),
    periodStart: timeOf(t.periodStart ?? o.periodStart),
    periodEnd: timeOf(t.periodEnd ?? o.periodEnd),
    agentVersion: strOrNull(o.agentVersion),
    hostname: strOrNull(obj(o.host).hostname),
  };
}

export function toSeriesView(body: unknown): SeriesView {
  const o = obj(body);
  const points = listOf(body, 'points', 'series');
  const at: number[] = [];
  const rx: number[] = [];
  const tx: number[] = [];
  for (const p of points) {
    const q = obj(p);
    at.push((timeOf(q.at ?? q.t ?? q.from) ?? 0) / 1000);
    rx.push(Number(toBig(q.rx)));
    tx.push(Number(toBig(q.tx)));
  }
  const bucketMs = numOrNull(o.bucketMs) ?? numOrNull(o.stepMs) ?? ((o.step ?? o.bucket) === 'day' ? 86_400_000 : 3_600_000);
  return { at, rx, tx, bucketMs };
}

export function toNodeRank(raw: unknown): NodeRank {
  const o = obj(raw);
  const rx = toBig(o.rx);
  const tx = toBig(o.tx);
  const total = o.total !== undefined ? toBig(o.total) : rx + tx;
  return { id: Number(o.id ?? o.nodeId), name: String(o.name ?? `node ${String(o.id ?? o.nodeId)}`), rx, tx, total };
}

function upDown(o: Json): { up: bigint; down: bigint; total: bigint } {
  const up = toBig(o.u ?? o.up ?? o.upload);
  const down = toBig(o.d ?? o.down ?? o.download);
  return { up, down, total: o.total !== undefined ? toBig(o.total) : up + down };
}

export function toUserRank(raw: unknown): UserRank {
  const o = obj(raw);
  return { userId: Number(o.userId ?? o.user_id ?? o.id), ...upDown(o) };
}

export function toUserTraffic(userId: number, body: unknown, names: ReadonlyMap<number, string>): UserTrafficView {
  const nodes = listOf(body, 'nodes', 'perNode').map((raw): UserNodeRow => {
    const o = obj(raw);
    const id = o.nodeId ?? o.serverId ?? o.server_id ?? o.id;
    const nodeId = id === null || id === undefined ? null : Number(id);
    const name = typeof o.name === 'string' ? o.name : nodeId === null ? '(before per-node records)' : names.get(nodeId) ?? `node ${nodeId}`;
    return { nodeId, name, ...upDown(o) };
  });
  nodes.sort((a, b) => (a.total === b.total ? 0 : a.total > b.total ? -1 : 1));
  const sumUp = nodes.reduce((s, n) => s + n.up, 0n);
  const sumDown = nodes.reduce((s, n) => s + n.down, 0n);
  const t = obj(obj(body).total);
  const up = t.u !== undefined || t.up !== undefined ? toBig(t.u ?? t.up) : sumUp;
  const down = t.d !== undefined || t.down !== undefined ? toBig(t.d ?? t.down) : sumDown;
  return { userId, nodes, up, down, total: up + down };
}
