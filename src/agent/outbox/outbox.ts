/**
 * The outbox: records in ascending seq order, kept in the agent state until every active sink acknowledged them.
 * Pure functions over the state; the caller persists.
 *
 * Invariants (assertOutboxInvariants checks them; the crash and fault suites run it after every step):
 * - seq grows strictly, below nextSeq; a record handed to a sink (seq <= attemptedThrough) never changes.
 * - each sink has its own cursor: every record with seq <= cursor was acknowledged by that sink.
 * - a record is handed to a sink only after `attemptedThrough` >= its seq has been persisted; records above
 *   attemptedThrough never left the agent, so they alone may be merged to keep a long outage's backlog bounded.
 * - a record in flight to a non-idempotent sink was attempted: its seq is at most attemptedThrough.
 * - the outbox holds counted bytes only: its sums never exceed the totals; the period never exceeds the totals.
 */
import { MAX_RECORD_EVENTS } from '../../protocol/heartbeat.js';
import { DEFAULT_MAX_USERS_PER_PUSH } from '../../protocol/uniproxy.js';
import type { AgentState, OutboxRecord, SinkName } from '../state/agent-state.js';

export interface SinkSpec {
  name: SinkName;
  /** Whether a record concerns this sink (the user-traffic sinks take only records with users). */
  takes: (r: OutboxRecord) => boolean;
}

export const takesAll = (): boolean => true;
export const takesUsers = (r: OutboxRecord): boolean => r.users !== undefined && Object.keys(r.users).length > 0;

export function pendingFor(state: AgentState, sink: SinkSpec, limit: number): OutboxRecord[] {
  const cursor = state.cursors[sink.name] ?? 0;
  const out: OutboxRecord[] = [];
  for (const r of state.outbox) {
    if (r.seq <= cursor || !sink.takes(r)) continue;
    out.push(r);
    if (out.length >= limit) break;
  }
  return out;
}

/**
 * Moves the sink's cursor over the records of `batch` (in order) that the receiver acknowledged, stopping at the
 * first one it did not: later records are sent again, and the receiver recognises them.
 */
export function acknowledge(
  state: AgentState,
  sink: SinkName,
  batch: readonly OutboxRecord[],
  acked: ReadonlySet<number>,
): AgentState {
  let cursor = state.cursors[sink] ?? 0;
  for (const r of batch) {
    if (!acked.has(r.seq)) break;
    cursor = Math.max(cursor, r.seq);
  }
  if (cursor === (state.cursors[sink] ?? 0)) return state;
  return { ...state, cursors: { ...state.cursors, [sink]: cursor } };
}

/** Drops the records that every active sink is done with (acknowledged, or not its kind of record). */
export function prune(state: AgentState, sinks: readonly SinkSpec[]): AgentState {
  let drop = 0;
  for (const r of state.outbox) {
    const done = sinks.every((s) => r.seq <= (state.cursors[s.name] ?? 0) || !s.takes(r));
    if (!done) break;
    drop++;
  }
  return drop === 0 ? state : { ...state, outbox: state.outbox.slice(drop) };
}

export function markAttempted(state: AgentState, seq: number): AgentState {
  return seq <= state.attemptedThrough ? state : { ...state, attemptedThrough: seq };
}

function mergeTwo(a: OutboxRecord, b: OutboxRecord): OutboxRecord {
  const events = [...new Set([...(a.events ?? []), ...(b.events ?? [])])].slice(0, MAX_RECORD_EVENTS);
  let users: Record<string, [string, string]> | undefined;
  if (a.users || b.users) {
    users = { ...(a.users ?? {}) };
    for (const [id, [up, down]] of Object.entries(b.users ?? {})) {
      const prev = users[id];
      users[id] = prev
        ? [(BigInt(prev[0]) + BigInt(up)).toString(), (BigInt(prev[1]) + BigInt(down)).toString()]
        : [up, down];
    }
  }
  return {
    seq: a.seq,
    from: Math.min(a.from, b.from),
    to: Math.max(a.to, b.to),
    rx: (BigInt(a.rx) + BigInt(b.rx)).toString(),
    tx: (BigInt(a.tx) + BigInt(b.tx)).toString(),
    ...(events.length > 0 ? { events } : {}),
    ...(users ? { users } : {}),
  };
}

/** How many users a merge of `a` and `b` would hold (a record split by user count is never merged back). */
function usersOfBoth(a: OutboxRecord, b: OutboxRecord): number {
  if (!a.users || !b.users) return Object.keys(a.users ?? b.users ?? {}).length;
  let n = Object.keys(a.users).length;
  for (const id of Object.keys(b.users)) if (!Object.hasOwn(a.users, id)) n++;
  return n;
}

/** Bucket widths tried in turn: a merged record never spans a quarter hour, then an hour, then a UTC day. */
export const MERGE_BUCKETS_MS = [15 * 60_000, 3_600_000, 86_400_000] as const;

/**
 * Keeps the outbox at most `maxRecords` long by merging records that were never handed to a sink, within one
 * time bucket: a quarter hour first, then an hour, then a UTC day where that is not enough. Whatever the width, a
 * merged record never spans a UTC day boundary (the collector books per day). Bytes are summed, never dropped.
 * The merged record keeps the lowest seq of its parts; the others are simply never used on the wire. Two records
 * whose users together are more than `maxUsersPerRecord` are not merged (the collector would refuse the push).
 */
export function compact(
  state: AgentState,
  maxRecords: number,
  maxUsersPerRecord = DEFAULT_MAX_USERS_PER_PUSH,
): AgentState {
  if (state.outbox.length <= maxRecords) return state;
  let outbox = state.outbox;
  for (const width of MERGE_BUCKETS_MS) {
    if (outbox.length <= maxRecords) break;
    const merged: OutboxRecord[] = [];
    for (const r of outbox) {
      const last = merged[merged.length - 1];
      if (
        last &&
        last.seq > state.attemptedThrough &&
        r.seq > state.attemptedThrough &&
        Math.floor(last.from / width) === Math.floor(r.to / width) &&
        usersOfBoth(last, r) <= maxUsersPerRecord
      ) {
        merged[merged.length - 1] = mergeTwo(last, r);
      } else {
        merged.push(r);
      }
    }
    outbox = merged;
  }
  return outbox === state.outbox ? state : { ...state, outbox };
}

/** An outbox invariant does not hold: a bug, never bad input (the state codec refuses malformed files before). */
export class OutboxInvariantError extends Error {
  constructor(message: string) {
    super(`outbox invariant broken: ${message}`);
    this.name = 'OutboxInvariantError';
  }
}

/**
 * Throws OutboxInvariantError when `state` breaks an invariant listed at the top of this file. With `previous` (an
 * earlier state of the same agent), also checks that no record handed to a sink changed since.
 */
export function assertOutboxInvariants(state: AgentState, previous?: AgentState | null): void {
  const fail = (message: string): never => {
    throw new OutboxInvariantError(message);
  };
  let seq = 0;
  let rx = 0n;
  let tx = 0n;
  for (const r of state.outbox) {
    if (r.seq <= seq) fail(`seq ${r.seq} follows seq ${seq}`);
    seq = r.seq;
    if (r.from > r.to) fail(`seq ${r.seq} ends (${r.to}) before it starts (${r.from})`);
    if ((r.events?.length ?? 0) > MAX_RECORD_EVENTS) fail(`seq ${r.seq} has ${r.events?.length} events`);
    rx += BigInt(r.rx);
    tx += BigInt(r.tx);
  }
  if (seq >= state.nextSeq) fail(`seq ${seq} is not below nextSeq ${state.nextSeq}`);
  if (state.attemptedThrough >= state.nextSeq)
    fail(`attemptedThrough ${state.attemptedThrough} is not below nextSeq ${state.nextSeq}`);
  for (const [sink, cursor] of Object.entries(state.cursors)) {
    if (cursor > state.attemptedThrough)
      fail(`${sink}'s cursor ${cursor} is past attemptedThrough ${state.attemptedThrough}: acked what was never sent`);
  }
  for (const [sink, inFlight] of Object.entries(state.inFlight ?? {})) {
    if (inFlight > state.attemptedThrough)
      fail(`${sink} has seq ${inFlight} in flight above attemptedThrough ${state.attemptedThrough}`);
  }
  if (rx > BigInt(state.totals.rx) || tx > BigInt(state.totals.tx))
    fail(`the outbox holds ${rx}/${tx} bytes, more than the totals ${state.totals.rx}/${state.totals.tx}`);
  if (BigInt(state.period.rx) > BigInt(state.totals.rx) || BigInt(state.period.tx) > BigInt(state.totals.tx))
    fail(`the period ${state.period.rx}/${state.period.tx} exceeds the totals ${state.totals.rx}/${state.totals.tx}`);
  if (!previous || previous.epoch !== state.epoch) return;
  const sent = Math.min(previous.attemptedThrough, state.attemptedThrough);
  const before = new Map(previous.outbox.map((r) => [r.seq, r]));
  for (const r of state.outbox) {
    if (r.seq > sent) break;
    const old = before.get(r.seq);
    if (old && JSON.stringify(old) !== JSON.stringify(r)) fail(`seq ${r.seq} changed after it was handed to a sink`);
  }
}
