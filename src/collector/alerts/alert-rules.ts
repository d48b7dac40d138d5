/**
 * Which alerts the current state calls for, pure: given quota reports, node stats and event records, the alerts
 * (with their documents and keys) that must exist. The key makes each one fire once (the store refuses a second):
 * - quota:   quota:<quota>:p<period start>:t<threshold>: once per threshold and period; a new period re-arms.
 * - offline: offline:<node>:<last seen>: once per silence (the last heartbeat before it identifies it).
 * - online:  online:<node>:<last seen of that silence>: once, after an offline alert, when heartbeats are back.
 * - event:   event:<node>:<epoch>:<seq>:<type>: once per record that reported a reboot, counter reset or broken counter.
 * - anomaly: anomaly:<scope>:<node>[:u<user>]:<slot start>:<kind>: once per unusual hour, day or silence (a silence
 *            is keyed by its first silent hour, so it alerts once however long it lasts).
 */
import type { FoundAnomaly } from '../anomalies/find-anomalies.js';
import type { QuotaReport } from '../quota/quota-status.js';
import { percentText } from '../quota/quota-status.js';
import type { EventRecord, NewAlert } from '../store/quota-store.js';
import type { NodeStats } from '../store/store.js';
import {
  type AlertDocument,
  ALERT_DOCUMENT_VERSION,
  type NodeEventType,
  humanBytes,
  quotaAlertKey,
} from './alert-document.js';

const blank = {
  version: ALERT_DOCUMENT_VERSION,
  node: null,
  pool: null,
  quota: null,
  usage: null,
  projection: null,
  period: null,
  event: null,
} as const;

function alert(doc: AlertDocument, ids: { nodeId?: number; poolId?: number; quotaId?: number }): NewAlert {
  return {
    key: doc.id,
    kind: doc.kind,
    nodeId: ids.nodeId ?? null,
    poolId: ids.poolId ?? null,
    quotaId: ids.quotaId ?? null,
    payload: JSON.stringify(doc),
    firedAt: doc.firedAt,
  };
}

export function quotaAlerts(r: QuotaReport, now: number): NewAlert[] {
  const q = r.quota;
  const s = r.status;
  const owner = q.nodeId !== null ? `node ${r.ownerName}` : `pool ${r.ownerName}`;
  return s.reached.map((t) =>
    alert(
      {
        ...blank,
        id: quotaAlertKey(q.id, s.period.start, t),
        kind: 'quota',
        firedAt: now,
        title: `${owner}: ${t} % of its ${humanBytes(q.limit)} quota reached`,
        node: q.nodeId !== null ? { id: q.nodeId, name: r.ownerName } : null,
        pool: q.poolId !== null ? { id: q.poolId, name: r.ownerName, nodeIds: r.nodeIds } : null,
        quota: { id: q.id, measure: q.measure, limit: q.limit.toString(), threshold: t },
        usage: { used: s.used.toString(), percent: percentText(s.basisPoints) },
        projection: {
          reachAt: s.projection24h.reachAt,
          bytesPerSec: s.projection24h.bytesPerSec.toString(),
        },
        period: { start: s.period.start, end: s.period.end },
      },
      { nodeId: q.nodeId ?? undefined, poolId: q.poolId ?? undefined, quotaId: q.id },
    ),
  );
}

/**
 * Offline and back-online alerts. `latestOffline` maps a node to the key of its newest offline alert; `mayCallOffline`
 * is false while the collector itself has not been up for one offline threshold (its own downtime is no node's fault).
 */
export function presenceAlerts(
  stats: readonly NodeStats[],
  latestOffline: ReadonlyMap<number, string>,
  now: number,
  offlineAfterMs: number,
  mayCallOffline: boolean,
): NewAlert[] {
  const out: NewAlert[] = [];
  for (const s of stats) {
    if (s.lastSeen === null) continue;
    const node = { id: s.id, name: s.name };
    const online = now - s.lastSeen <= offlineAfterMs;
    if (!online && mayCallOffline) {
      out.push(
        alert(
          {
            ...blank,
            id: `offline:${s.id}:${s.lastSeen}`,
            kind: 'offline',
            firedAt: now,
            title: `node ${s.name} is offline: no heartbeat since ${new Date(s.lastSeen).toISOString()}`,
            node,
            event: { type: 'offline', detail: `last heartbeat ${new Date(s.lastSeen).toISOString()}`, at: s.lastSeen },
          },
          { nodeId: s.id },
        ),
      );
    }
    const last = latestOffline.get(s.id);
    const silentSince = last ? Number(last.split(':')[2]) : Number.NaN;
    if (online && s.lastSeen > silentSince) {
      out.push(
        alert(
          {
            ...blank,
            id: `online:${s.id}:${silentSince}`,
            kind: 'online',
            firedAt: now,
            title: `node ${s.name} is back online`,
            node,
            event: { type: 'online', detail: `silent since ${new Date(silentSince).toISOString()}`, at: s.lastSeen },
          },
          { nodeId: s.id },
        ),
      );
    }
  }
  return out;
}

/** The record tags (see src/protocol/heartbeat.ts) that are worth telling an operator, and what they mean. */
export function eventType(tag: string): NodeEventType | undefined {
  if (tag === 'reboot') return 'reboot';
  if (tag.startsWith('reset:')) return 'counter-reset';
  if (tag.startsWith('implausible:')) return 'broken-counter';
  return undefined;
}

const EVENT_TEXT: Record<NodeEventType, string> = {
  reboot: 'rebooted',
  'counter-reset': 'reported a counter reset',
  'broken-counter': 'reported a broken counter (a jump of 2^62 bytes or more, not counted)',
};

export function eventAlerts(
  records: readonly EventRecord[],
  names: ReadonlyMap<number, string>,
  now: number,
): NewAlert[] {
  const out: NewAlert[] = [];
  for (const r of records) {
    const name = names.get(r.nodeId);
    if (name === undefined) continue;
    for (const tag of r.events) {
      const type = eventType(tag);
      if (!type) continue;
      const iface = tag.includes(':') ? ` (${tag.slice(tag.indexOf(':') + 1)})` : '';
      out.push(
        alert(
          {
            ...blank,
            id: `event:${r.nodeId}:${r.epoch}:${r.seq}:${tag}`,
            kind: 'event',
            firedAt: now,
            title: `node ${name} ${EVENT_TEXT[type]}${iface}`,
            node: { id: r.nodeId, name },
            event: { type, detail: tag, at: r.to },
          },
          { nodeId: r.nodeId },
        ),
      );
    }
  }
  return out;
}

export function anomalyKey(a: FoundAnomaly): string {
  return `anomaly:${a.scope}:${a.nodeId}${a.userId === undefined ? '' : `:u${a.userId}`}:${a.at}:${a.kind}`;
}

function anomalyTitle(a: FoundAnomaly, node: string): string {
  const when = new Date(a.at).toISOString();
  if (a.kind === 'silent')
    return `node ${node} carries no traffic since ${when} while online (usually ${humanBytes(a.expected)} an hour)`;
  const what = a.kind === 'spike' ? 'unusually high' : 'unusually low';
  if (a.scope === 'user-daily') return `user ${a.userId} on node ${node}: ${what} traffic on the day from ${when}`;
  return `node ${node}: ${what} traffic in the hour from ${when}`;
}

/** One alert per finding of the unusual-traffic detector (nodes no longer known are skipped). */
export function anomalyAlerts(
  found: readonly FoundAnomaly[],
  names: ReadonlyMap<number, string>,
  now: number,
): NewAlert[] {
  const out: NewAlert[] = [];
  for (const a of found) {
    const name = names.get(a.nodeId);
    if (name === undefined) continue;
    out.push(
      alert(
        {
          ...blank,
          id: anomalyKey(a),
          kind: 'anomaly',
          firedAt: now,
          title: anomalyTitle(a, name),
          node: { id: a.nodeId, name },
          anomaly: {
            scope: a.scope,
            kind: a.kind,
            userId: a.userId ?? null,
            at: a.at,
            until: a.until,
            observed: a.observed.toString(),
            expected: a.expected.toString(),
            low: a.low.toString(),
            high: a.high.toString(),
            history: a.history,
          },
        },
        { nodeId: a.nodeId },
      ),
    );
  }
  return out;
}
