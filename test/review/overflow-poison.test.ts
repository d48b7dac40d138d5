/**
 * REPRODUCTION (review finding): one implausible delta blocks the node's accounting at the collector forever.
 * A counter that underflows in a driver (/proc/net/dev then prints a value near 2^64, a known kernel/driver bug
 * class) gives a delta the agent flags "suspicious" but still counts (counter-delta.ts:262). The collector refuses
 * any heartbeat that would take the node total above 2^63-1 with 422 TC_COUNTER_OVERFLOW (ingest-plan.ts:314), for
 * the WHOLE heartbeat (all or nothing). The agent resends the same batch, starting with the same record, on every
 * retry: no later record of that node is ever stored again, and the node shows offline (stats are not updated either).
 * Real parts: AgentRuntime + StateStore + CollectorHeartbeatSink -> collector app (SQLite) over HTTP.
 * This test FAILS while the bug is present.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/agent/config/load-config.js';
import { accountingSettings } from '../../src/agent/daemon/accounting-settings.js';
import { AgentRuntime } from '../../src/agent/daemon/agent-runtime.js';
import { CollectorHeartbeatSink } from '../../src/agent/sinks/collector-heartbeat-sink.js';
import { StateStore } from '../../src/agent/state/state-store.js';
import { makeTestApp, type TestApp } from '../collector/app-helper.js';
import { captureLogger, stateWith } from '../agent/sinks/sink-fixtures.js';

let t: TestApp | undefined;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
  await t?.close();
});

describe('review: a delta above 2^63 from a broken counter', () => {
  it('does not keep every later record of the node out of the collector', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const dir = await mkdtemp(join(tmpdir(), 'review-overflow-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const cfg = resolveConfig({ node: { id: node.id, token: node.token }, collector: { url }, stateDir: dir }, {});
    const sink = new CollectorHeartbeatSink({ url, token: node.token, timeoutMs: 5000, batchSize: 500, extras: () => ({ load: null, uptimeSec: 1, bootId: null, agentVersion: 'test', host: undefined }) });
    cleanup.push(() => sink.close());
    const log = captureLogger();
    const rt = new AgentRuntime(cfg, accountingSettings(cfg), [sink], { store: new StateStore(dir), logger: log.logger, now: () => t!.clock.now });
    const now = t.clock.now;
    // seq 1: eth0's rx went from 10 MB to 2^64 - 2048 (driver underflow); seq 2 onwards: ordinary traffic.
    rt.state = stateWith([
      { seq: 1, from: now - 120_000, to: now - 60_000, rx: '18446744073699551616', tx: '1000', events: ['suspicious:eth0'] },
      { seq: 2, from: now - 60_000, to: now, rx: '5000', tx: '6000' },
    ]);
    for (let i = 0; i < 3; i++) await rt.deliver({ force: true });
    const s = (await t.store.getNodeStats(node.id))!;
    expect(s.lastSeen).not.toBeNull(); // actually null: every heartbeat answered 422
    expect(s.totalTx).toBeGreaterThanOrEqual(6000n); // actually 0: seq 2 (and everything after) never stored
  });
});
