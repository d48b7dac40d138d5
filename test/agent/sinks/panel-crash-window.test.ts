/**
 * Regression (found in review): a panel push acknowledged and then the agent killed before the next save must not
 * reach the panel a second time after the restart. A panel has no idempotency key, so the runtime sends a
 * non-idempotent sink one record at a time, saved as in flight before the send and acknowledged in a save right
 * after; a record still in flight at the restart is settled by panel.retryLostResponse, once.
 * Real parts: the ledger and dispatcher, StateStore on a temp dir, PanelPushSink against the panel stand-in.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PanelPushSink } from '../../../src/agent/sinks/panel-push-sink.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';
import { startPanelStandIn, type PanelStandIn } from '../../support/panel-stand-in.js';
import { agentParts, captureLogger, stateWith, userRecord } from './sink-fixtures.js';

const TOKEN = 'panel-secret-token';
let panel: PanelStandIn | undefined;
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
  await panel?.close();
});

describe('panel push acknowledged, agent killed before the next save', () => {
  it('does not push the same batch to the panel a second time after the restart', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const dir = await mkdtemp(join(tmpdir(), 'review-panel-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const log = captureLogger();
    const mkRuntime = (seed?: AgentState) => {
      const sink = new PanelPushSink({
        url: panel!.url,
        token: TOKEN,
        nodeId: 5,
        nodeType: 'vmess',
        retryLostResponse: false,
        timeoutMs: 2000,
        batchSize: 50,
        logger: log.logger,
      });
      cleanup.push(() => sink.close());
      return agentParts(dir, [sink], log.logger, seed);
    };

    // The first life: a tick saved a record with user traffic, then the delivery pushed it and the panel answered.
    const a = await mkRuntime(stateWith([userRecord(1, { '1': ['100', '200'] })]));
    await a.dispatcher.deliver({ force: true });
    expect(a.ledger.snapshot?.cursors.panel).toBe(1);
    expect(panel.totals()).toEqual({ '1': [100, 200] });
    // kill -9 here (before the next tick's save): nothing else runs.

    const b = await mkRuntime();
    await b.dispatcher.deliver({ force: true });
    expect(panel.totals()).toEqual({ '1': [100, 200] }); // once, not twice
  });
});
