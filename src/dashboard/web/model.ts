/**
 * The dashboard's view of the collector's JSON (src/collector/views.ts and routes/*.ts). Every response goes through
 * one normaliser here, so a change of the collector's shapes is absorbed in this file only. Byte counts (decimal
 * strings) become bigint; missing fields become null or 0n rather than a throw in the middle of a render.
 */
import { toBig } from './format.js';

type Json = Record<string, unknown>;
export interface Traffic {
  rx: bigint;
  tx: bigint;
}

export interface NodeView {
  id: number;
  name: string;
  online: boolean;
  lastSeen: number | null;
  load: [number, number, number] | null;
  uptimeSec: number | null;
  /** Current RX/TX rate in bits per second (views.ts currentRate); null when offline or unknown. */
  rate: { rx: number; tx: number } | null;
  period: Traffic;
  total: Traffic;
  periodStart: number | null;
  periodEnd: number | null;
  agentVersion: string | null;
  hostname: string | null;
}

export interface SeriesView {
  at: number[];
  rx: number[];
  tx: number[];
  bucketMs: number;
}
export interface NodeRank {
  id: number;
  name: string;
  rx: bigint;
  tx: bigint;
  total: bigint;
}
export interface UserRank {
  userId: number;
  up: bigint;
  down: bigint;
  total: bigint;
}
export interface UserNodeRow {
  nodeId: number | null;
  name: string;
  up: bigint;
  down: bigint;
  total: bigint;
}
export interface UserTrafficView {
  userId: number;
  nodes: UserNodeRow[];
  up: bigint;
  down: bigint;
  total: bigint;
}

const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The list under `key` of a response (`{nodes: [...]}`), or [] when it is missing. */
export function listOf(body: unknown, key: string): unknown[] {
  const list = obj(body)[key];
  return Array.isArray(list) ? list : [];
}

/** `traffic: {periodRx, periodTx, totalRx, totalTx, periodStart, periodEnd}` of the collector's node view (views.ts). */
function traffic(o: Json, prefix: 'period' | 'total'): Traffic {
  const t = obj(o.traffic);
  return { rx: toBig(t[`${prefix}Rx`]), tx: toBig(t[`${prefix}Tx`]) };
}

function rateOf(v: unknown): { rx: number; tx: number } | null {
  const o = obj(v);
  const rx = numOrNull(o.rxBps);
  const tx = numOrNull(o.txBps);
  return rx === null || tx === null ? null : { rx, tx };
}

function loadOf(v: unknown): [number, number, number] | null {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? [v[0], v[1], v[2]] : null;
}

export function toNodeView(raw: unknown): NodeView {
  const o = obj(raw);
  const t = obj(o.traffic);
  return {
    id: Number(o.id),
    name: String(o.name ?? `node ${String(o.id)}`),
    online: o.online === true,
    lastSeen: numOrNull(o.lastSeen),
    load: loadOf(o.load),
    uptimeSec: numOrNull(o.uptimeSec),
    rate: rateOf(o.currentRate),
    period: traffic(o, 'period'),
    total: traffic(o, 'total'),
    periodStart: numOrNull(t.periodStart),
    periodEnd: numOrNull(t.periodEnd),
    agentVersion: strOrNull(o.agentVersion),
    hostname: strOrNull(obj(o.host).hostname),
  };
}

export function toSeriesView(body: unknown): SeriesView {
  const o = obj(body);
  const points = listOf(body, 'points');
  const at: number[] = [];
  const rx: number[] = [];
  const tx: number[] = [];
  for (const p of points) {
    const q = obj(p);
    at.push(Number(q.at) / 1000);
    rx.push(Number(toBig(q.rx)));
    tx.push(Number(toBig(q.tx)));
  }
  const bucketMs = o.step === 'day' ? 86_400_000 : 3_600_000;
  return { at, rx, tx, bucketMs };
}

export function toNodeRank(raw: unknown): NodeRank {
  const o = obj(raw);
  const rx = toBig(o.rx);
  const tx = toBig(o.tx);
  const total = o.total !== undefined ? toBig(o.total) : rx + tx;
  return { id: Number(o.id), name: String(o.name ?? `node ${String(o.id)}`), rx, tx, total };
}

function upDown(o: Json): { up: bigint; down: bigint; total: bigint } {
  const up = toBig(o.u);
  const down = toBig(o.d);
  return { up, down, total: o.total !== undefined ? toBig(o.total) : up + down };
}

export function toUserRank(raw: unknown): UserRank {
  const o = obj(raw);
  return { userId: Number(o.userId), ...upDown(o) };
}

export function toUserTraffic(userId: number, body: unknown, names: ReadonlyMap<number, string>): UserTrafficView {
  const nodes = listOf(body, 'nodes').map((raw): UserNodeRow => {
    const o = obj(raw);
    const nodeId = o.nodeId === null || o.nodeId === undefined ? null : Number(o.nodeId);
    const name =
      typeof o.name === 'string'
        ? o.name
        : nodeId === null
          ? '(before per-node records)'
          : (names.get(nodeId) ?? `node ${nodeId}`);
    return { nodeId, name, ...upDown(o) };
  });
  nodes.sort((a, b) => (a.total === b.total ? 0 : a.total > b.total ? -1 : 1));
  const sumUp = nodes.reduce((s, n) => s + n.up, 0n);
  const sumDown = nodes.reduce((s, n) => s + n.down, 0n);
  const t = obj(obj(body).total);
  const up = t.u !== undefined ? toBig(t.u) : sumUp;
  const down = t.d !== undefined ? toBig(t.d) : sumDown;
  return { userId, nodes, up, down, total: up + down };
}
