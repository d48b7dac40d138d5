/**
 * Unusual traffic over the fleet for a range, from the store: each node's hourly series (spikes and drops against
 * the same hour on earlier days), nodes that carry nothing while online, and users whose daily traffic on one node
 * jumps far above their own usual (a leaked account). The rules themselves are pure (detect.ts).
 */
import type { NodeStats, Store, UserNodeDay } from '../store/store.js';
import {
  DAILY_DEFAULTS,
  HOURLY_DEFAULTS,
  detectAnomalies,
  detectDense,
  zeroWhileOnline,
  type Anomaly,
  type Point,
} from './detect.js';

export type AnomalyScope = 'node-hourly' | 'node-silent' | 'user-daily';
export const ANOMALY_SCOPES: readonly AnomalyScope[] = ['node-hourly', 'node-silent', 'user-daily'];

export interface FoundAnomaly {
  scope: AnomalyScope;
  nodeId: number;
  userId?: number;
  /** spike, drop, or silent (node-silent). */
  kind: Anomaly['kind'] | 'silent';
  at: number;
  /** End of the flagged slot (or of the silence so far). */
  until: number;
  observed: bigint;
  expected: bigint;
  low: bigint;
  high: bigint;
  history: number;
}

export interface FindOptions {
  from: number;
  to: number;
  scopes: readonly AnomalyScope[];
  timeZone: string;
  now: number;
  /** A node seen this recently is online (the collector's offline rule). */
  onlineWithinMs: number;
  /**
   * How often a sending node leaves a load sample: max(heartbeatIntervalSec, loadSampleMinGapSec). A drop needs the
   * node to have sent through its slot (sentThrough), judged by these samples.
   */
  sampleEveryMs: number;
  /** Only this node (absent: every node). */
  nodeId?: number;
}

/** The collector's offline rule and its nodes' sampling, as findAnomalies needs them (FindOptions). */
export function nodeTiming(config: {
  heartbeatIntervalSec: number;
  offlineAfterIntervals: number;
  loadSampleMinGapSec: number;
}): Pick<FindOptions, 'onlineWithinMs' | 'sampleEveryMs'> {
  return {
    onlineWithinMs: config.heartbeatIntervalSec * config.offlineAfterIntervals * 1000,
    sampleEveryMs: Math.max(config.heartbeatIntervalSec, config.loadSampleMinGapSec) * 1000,
  };
}

const DAY_MS = 86_400_000;
const USER_PAGE = 10_000;
const YIELD_EVERY = 25;

async function nodeHourly(store: Store, nodes: NodeStats[], o: FindOptions, out: FoundAnomaly[]): Promise<void> {
  const opts = { ...HOURLY_DEFAULTS, timeZone: o.timeZone };
  const historyFrom = o.from - opts.lookbackDays * DAY_MS;
  for (const [k, n] of nodes.entries()) {
    // SQLite answers synchronously: let requests in between nodes so a fleet-wide run never stalls the collector.
    if (k % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((r) => setImmediate(r));
    const { first, bytes } = await store.hourlyTotals(n.id, historyFrom, o.to);
    for (const a of detectDense(first, bytes, o.from, o.to, opts))
      out.push({ scope: 'node-hourly', nodeId: n.id, ...a, until: a.at + opts.stepMs });
  }
}

async function nodeSilent(store: Store, nodes: NodeStats[], o: FindOptions, out: FoundAnomaly[]): Promise<void> {
  const opts = { stepMs: 3_600_000, minSilentSlots: 2, onlineWithinMs: o.onlineWithinMs, minUsualBytes: 1 << 20 };
  for (const n of nodes) {
    const series = (await store.hourlySeries(n.id, o.now - 2 * DAY_MS, o.now + 1)).map((p) => ({
      at: p.at,
      value: p.rx + p.tx,
    }));
    const z = zeroWhileOnline(series, o.now, n.lastSeen, opts);
    if (z && z.from < o.to && z.to > o.from)
      out.push({
        scope: 'node-silent',
        nodeId: n.id,
        kind: 'silent',
        at: z.from,
        until: z.to,
        observed: 0n,
        expected: z.usual,
        low: 1n,
        high: z.usual,
        history: 0,
      });
  }
}

async function userDaily(store: Store, o: FindOptions, out: FoundAnomaly[]): Promise<void> {
  const opts = { ...DAILY_DEFAULTS, timeZone: o.timeZone };
  const fromSec = Math.floor((o.from - opts.lookbackDays * DAY_MS) / 1000);
  const toSec = Math.ceil(o.to / 1000);
  let series: Point[] = [];
  let key: { userId: number; serverId: number } | null = null;
  const flush = () => {
    if (!key || series.length === 0) return;
    // Daily rows sit at local midnights; the judged range starts at the local day holding `from`.
    for (const a of detectAnomalies(series, o.from - DAY_MS + 1, o.to, opts))
      out.push({ scope: 'user-daily', nodeId: key.serverId, userId: key.userId, ...a, until: a.at + DAY_MS });
  };
  let after: UserNodeDay | null = null;
  for (;;) {
    const page = await store.userNodeDailyPage(fromSec, toSec, after, USER_PAGE);
    for (const r of page) {
      if (o.nodeId !== undefined && r.serverId !== o.nodeId) continue;
      if (!key || key.userId !== r.userId || key.serverId !== r.serverId) {
        flush();
        key = { userId: r.userId, serverId: r.serverId };
        series = [];
      }
      series.push({ at: r.recordAt * 1000, value: r.bytes });
    }
    if (page.length < USER_PAGE) break;
    after = page[page.length - 1];
  }
  flush();
}

/**
 * Whether the node kept sending through [at, until): it was heard from after the slot ended (lastSeen), and its
 * heartbeats left at least half the load samples a node sending all along leaves (one per sampleEveryMs). A node
 * that stopped sending carries nothing, and its slots read as drops: that is the offline condition, which has its
 * own alert (kind offline), not unusual traffic. So are the hours it was away when it comes back, and the hours it
 * stopped or came back in. A node that sends no load (null) never shows a drop.
 */
async function sentThrough(
  store: Store,
  nodeId: number,
  lastSeen: number | null | undefined,
  at: number,
  until: number,
  sampleEveryMs: number,
): Promise<boolean> {
  if (lastSeen === null || lastSeen === undefined || lastSeen < until) return false;
  const hours = await store.loadHourly(nodeId, Math.floor(at / 3_600_000) * 3_600_000, until);
  const samples = hours.reduce((n, h) => n + h.samples, 0);
  return samples * 2 >= (until - at) / Math.max(1, sampleEveryMs);
}

export async function findAnomalies(store: Store, o: FindOptions): Promise<FoundAnomaly[]> {
  const out: FoundAnomaly[] = [];
  const all = await store.listNodeStats();
  const nodes = all.filter((n) => o.nodeId === undefined || n.id === o.nodeId);
  if (o.scopes.includes('node-hourly')) await nodeHourly(store, nodes, o, out);
  if (o.scopes.includes('node-silent')) await nodeSilent(store, nodes, o, out);
  if (o.scopes.includes('user-daily')) await userDaily(store, o, out);
  const lastSeen = new Map(all.map((n) => [n.id, n.lastSeen]));
  const kept: FoundAnomaly[] = [];
  for (const a of out) {
    // A slot still in progress can only grow: it may already be a spike, but it is not a drop until it has ended
    // (and the node must have sent through it: sentThrough).
    if (
      a.kind === 'drop' &&
      !(await sentThrough(store, a.nodeId, lastSeen.get(a.nodeId), a.at, a.until, o.sampleEveryMs))
    )
      continue;
    kept.push(a);
  }
  return kept.sort((a, b) => a.at - b.at || a.nodeId - b.nodeId || (a.userId ?? 0) - (b.userId ?? 0));
}
