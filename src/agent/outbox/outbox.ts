/**
 * The outbox: records in ascending seq order, kept in the agent state until every active sink acknowledged them.
 * Pure functions over the state; the caller persists.
 *
 * Invariants:
 * - seq grows strictly; a persisted record never changes.
 * - each sink has its own cursor: every record with seq <= cursor was acknowledged by that sink.
 * - a record is handed to a sink only after `attemptedThrough` >= its seq has been persisted; records above
 *   attemptedThrough never left the agent, so they alone may be merged to keep a long outage's backlog bounded.
 */
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
  const events = [...new Set([...(a.events ?? []), ...(b.events ?? [])])].slice(0, 63);
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

/** Bucket widths tried in turn: a merged record never spans a quarter hour, then an hour, then a UTC day. */
export const MERGE_BUCKETS_MS = [15 * 60_000, 3_600_000, 86_400_000] as const;

/**
 * Keeps the outbox at most `maxRecords` long by merging records that were never handed to a sink, within one
 * time bucket (so a merged record still belongs to one hour and one day). Bytes are summed, never dropped.
 * The merged record keeps the lowest seq of its parts; the others are simply never used on the wire.
 */
export function compact(state: AgentState, maxRecords: number): AgentState {
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
        Math.floor(last.from / width) === Math.floor(r.to / width)
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
