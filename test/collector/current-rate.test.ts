/** The current rate of a node (views.ts currentRate): bits per second of its newest record, 0 once idle, null offline. */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/collector/config.js';
import type { NodeStats } from '../../src/collector/store/store.js';
import { currentRate } from '../../src/collector/views.js';

const NOW = Date.UTC(2026, 10, 30, 12);
const config = validateConfig({ heartbeatIntervalSec: 10, offlineAfterIntervals: 3 });

function stats(extra: Partial<NodeStats>): NodeStats {
  return {
    id: 1,
    name: 'n',
    rate: '1',
    resetDay: 1,
    timezone: 'UTC',
    createdAt: 0,
    totalRx: 0n,
    totalTx: 0n,
    periodRx: 0n,
    periodTx: 0n,
    periodStart: 0,
    periodEnd: NOW + 1,
    load: null,
    uptimeSec: null,
    bootId: null,
    host: null,
    agentVersion: null,
    lastEpoch: 'e',
    lastSeen: NOW - 2000,
    lastRecord: { from: NOW - 12_000, to: NOW - 2000, rx: 125_000_000n, tx: 1250n, receivedAt: NOW - 2000 },
    ...extra,
  };
}

describe('currentRate', () => {
  it("is the newest record's bytes times 8 over its span", () => {
    // 125 MB in 10 s = 100 Mbit/s; 1250 B in 10 s = 1000 bit/s.
    expect(currentRate(stats({}), NOW, config)).toEqual({ rxBps: 100_000_000, txBps: 1000, spanMs: 10_000 });
  });

  it('stays exact in bits for byte counts past 2^53 (as a double)', () => {
    const r = currentRate(
      stats({ lastRecord: { from: NOW - 1000, to: NOW, rx: 1n << 60n, tx: 0n, receivedAt: NOW - 2000 } }),
      NOW,
      config,
    );
    expect(r?.rxBps).toBe(2 ** 63);
  });

  it('is 0 once a later heartbeat came without a record (the agent was idle for a tick)', () => {
    expect(currentRate(stats({ lastSeen: NOW }), NOW, config)).toMatchObject({ rxBps: 100_000_000 });
    // The next tick, 10 s later, had no traffic: only the heartbeat landed.
    expect(currentRate(stats({ lastSeen: NOW + 8000 }), NOW + 8000, config)).toEqual({
      rxBps: 0,
      txBps: 0,
      spanMs: 10_000,
    });
  });

  it('is null when the node is offline, never sent a record, or the record has no span', () => {
    expect(currentRate(stats({}), NOW + 60_000, config)).toBeNull();
    expect(currentRate(stats({ lastRecord: null }), NOW, config)).toBeNull();
    expect(currentRate(stats({ lastSeen: null }), NOW, config)).toBeNull();
    const flat = { from: NOW - 2000, to: NOW - 2000, rx: 5n, tx: 5n, receivedAt: NOW - 2000 };
    expect(currentRate(stats({ lastRecord: flat }), NOW, config)).toBeNull();
  });
});
