/** JSON views of stored data: byte counts as decimal strings, times as unix ms. */
import { effectivePeriod } from './store/ingest-plan.js';
import type { NodeStats } from './store/store.js';
import type { CollectorConfig } from './config.js';

/** How long after its last heartbeat a node still counts as online. */
export function offlineAfterMs(config: CollectorConfig): number {
  return config.heartbeatIntervalSec * config.offlineAfterIntervals * 1000;
}

export function isOnline(s: NodeStats, now: number, config: CollectorConfig): boolean {
  return s.lastSeen !== null && now - s.lastSeen <= offlineAfterMs(config);
}

/**
 * A node's current RX/TX rate in bits per second, from its newest record's bytes over that record's span (the agent's
 * sample interval, on the agent's clock). A heartbeat that came after that record without one of its own means the
 * node has been idle since (the agent sends no record for a tick without traffic): rate 0. Offline or no record: null.
 */
export function currentRate(
  s: NodeStats,
  now: number,
  config: CollectorConfig,
): { rxBps: number; txBps: number; spanMs: number } | null {
  const r = s.lastRecord;
  if (!r || s.lastSeen === null || !isOnline(s, now, config)) return null;
  const spanMs = r.to - r.from;
  if (spanMs <= 0) return null;
  // Heartbeats and user pushes of one tick land within moments of each other; a full interval later is the next tick.
  const idle = s.lastSeen - r.receivedAt > Math.max(1000, (config.heartbeatIntervalSec * 1000) / 2);
  if (idle) return { rxBps: 0, txBps: 0, spanMs };
  const bps = (bytes: bigint) => Math.round((Number(bytes) * 8000) / spanMs);
  return { rxBps: bps(r.rx), txBps: bps(r.tx), spanMs };
}

export function nodeView(s: NodeStats, now: number, config: CollectorConfig) {
  const p = effectivePeriod(s, now);
  return {
    id: s.id,
    name: s.name,
    rate: s.rate,
    resetDay: s.resetDay,
    timezone: s.timezone,
    createdAt: s.createdAt,
    online: isOnline(s, now, config),
    lastSeen: s.lastSeen,
    traffic: {
      totalRx: s.totalRx.toString(),
      totalTx: s.totalTx.toString(),
      total: (s.totalRx + s.totalTx).toString(),
      periodRx: p.rx.toString(),
      periodTx: p.tx.toString(),
      period: (p.rx + p.tx).toString(),
      periodStart: p.start,
      periodEnd: p.end,
    },
    currentRate: currentRate(s, now, config),
    load: s.load,
    uptimeSec: s.uptimeSec,
    bootId: s.bootId,
    host: s.host,
    agentVersion: s.agentVersion,
    lastEpoch: s.lastEpoch,
  };
}
