/** Shared bits of the sink tests: outbox records with users, a state holding them, a logger whose lines we read. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../src/agent/logger.js';
import { Dispatcher } from '../../../src/agent/daemon/dispatcher.js';
import { Ledger } from '../../../src/agent/daemon/ledger.js';
import { backoffPolicyFor } from '../../../src/agent/sinks/backoff.js';
import type { DeliveryContext, Sink } from '../../../src/agent/sinks/sink.js';
import { StateStore } from '../../../src/agent/state/state-store.js';
import type { AgentState, OutboxRecord } from '../../../src/agent/state/agent-state.js';

export const EPOCH = '0123456789abcdef';
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);

export function userRecord(seq: number, users: Record<string, [string, string]>): OutboxRecord {
  return { seq, from: T0 + (seq - 1) * 60_000, to: T0 + seq * 60_000, rx: '1000', tx: '2000', users };
}

/** What the dispatcher hands a sink besides the records. */
export function deliveryContext(epoch = EPOCH): DeliveryContext {
  return { epoch, now: Date.now, load: null, uptimeSec: 0, bootId: null, host: undefined };
}

export function stateWith(outbox: OutboxRecord[]): AgentState {
  const last = outbox[outbox.length - 1];
  return {
    version: 1,
    epoch: EPOCH,
    nextSeq: (last?.seq ?? 0) + 1,
    boot: { bootId: null, btime: null },
    lastSampleAt: last?.to ?? T0,
    lastUptimeSec: null,
    interfaces: {},
    proxy: null,
    totals: { rx: '0', tx: '0' },
    period: { start: T0, rx: '0', tx: '0' },
    outbox,
    cursors: {},
    attemptedThrough: 0,
    lastDelivery: {},
    detected: { reboots: 0, resets: 0, wraps: 0, suspicious: 0, proxyRestarts: 0 },
  };
}

export interface CapturedLog {
  logger: Logger;
  lines: () => Array<Record<string, unknown> & { msg: string; level: number }>;
  text: () => string;
}

/** The agent's own logger (with its redaction), writing JSON lines into memory. */
export function captureLogger(): CapturedLog {
  let raw = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      raw += chunk.toString();
      done();
    },
  });
  const logger = createLogger('debug', { pretty: false, destination });
  return {
    logger,
    text: () => raw,
    lines: () =>
      raw
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

/**
 * The agent's own ledger and dispatcher on a state directory, as `once` and `run` build them. `seed`, when given, is
 * saved first, as if an earlier life of the agent had left it there.
 */
export async function agentParts(
  dir: string,
  sinks: Sink[],
  logger: Logger,
  seed?: AgentState,
): Promise<{ ledger: Ledger; dispatcher: Dispatcher }> {
  const store = new StateStore(dir);
  if (seed) {
    await store.load(Date.now()); // creates the directory
    await store.save(seed);
  }
  const ledger = new Ledger({ store, logger, now: Date.now });
  const dispatcher = new Dispatcher(ledger, sinks, backoffPolicyFor(60), { logger, now: Date.now });
  await ledger.open();
  await dispatcher.settleInterrupted();
  return { ledger, dispatcher };
}
