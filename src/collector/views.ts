/** JSON views of stored data: byte counts as decimal strings, times as unix ms. */
import { effectivePeriod } from './store/ingest-plan.js';
import type { NodeStats } from './store/store.js';
import type { CollectorConfig } from './config.js';

export function isOnline(s: NodeStats, now: number, config: CollectorConfig): boolean {
  return s.lastSeen !== null && now - s.lastSeen <= config.heartbeatIntervalSec * config.offlineAfterIntervals * 1000;
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
    load: s.load,
    uptimeSec: s.uptimeSec,
    bootId: s.bootId,
    host: s.host,
    agentVersion: s.agentVersion,
    lastEpoch: s.lastEpoch,
  };
}
