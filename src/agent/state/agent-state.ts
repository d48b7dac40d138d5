/**
 * Everything the agent must not forget, written as one file in one atomic step (see state-store.ts):
 * the last counters the deltas are computed from, the running totals, and the outbox of records not yet
 * acknowledged by every sink. Because counters and the records computed from them are persisted together,
 * a crash at any moment either keeps both or neither: nothing is lost and nothing is counted twice.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Epoch, U64String, UnixMs } from '../../protocol/heartbeat.js';
import { Rollups } from './rollups-shape.js';

export const STATE_VERSION = 1;

const Pair = Type.Object({ rx: U64String, tx: U64String });

export const InterfaceMemo = Type.Object({
  rx: U64String,
  tx: U64String,
  /** Set while the interface is absent from /proc/net/dev: its counters are kept so a return is judged rightly. */
  goneAt: Type.Optional(UnixMs),
});
export type InterfaceMemo = Static<typeof InterfaceMemo>;

export const UserMemo = Type.Object({ up: U64String, down: U64String });

export const OutboxRecord = Type.Object({
  seq: Type.Integer({ minimum: 1 }),
  from: UnixMs,
  to: UnixMs,
  rx: U64String,
  tx: U64String,
  events: Type.Optional(Type.Array(Type.String())),
  /** Per-user deltas by user id: [upload, download]. */
  users: Type.Optional(Type.Record(Type.String(), Type.Tuple([U64String, U64String]))),
});
export type OutboxRecord = Static<typeof OutboxRecord>;

export const SINK_NAMES = ['collector', 'collectorUsers', 'panel'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

export const AgentState = Type.Object({
  version: Type.Literal(STATE_VERSION),
  epoch: Epoch,
  nextSeq: Type.Integer({ minimum: 1 }),
  boot: Type.Object({
    bootId: Type.Union([Type.String(), Type.Null()]),
    btime: Type.Union([Type.Integer(), Type.Null()]),
  }),
  lastSampleAt: UnixMs,
  /** Seconds since boot at the last sample (CLOCK_BOOTTIME: does not jump with the wall clock), when known. */
  lastUptimeSec: Type.Union([Type.Number(), Type.Null()]),
  interfaces: Type.Record(Type.String(), InterfaceMemo),
  proxy: Type.Union([
    Type.Null(),
    Type.Object({
      uptimeSec: Type.Number(),
      sampledAt: UnixMs,
      /** The host's uptime (CLOCK_BOOTTIME) at that sample: elapsed time that a wall-clock step cannot fake. */
      hostUptimeSec: Type.Optional(Type.Union([Type.Number(), Type.Null()])),
      users: Type.Record(Type.String(), UserMemo),
    }),
  ]),
  totals: Pair,
  period: Type.Object({ start: UnixMs, rx: U64String, tx: U64String }),
  outbox: Type.Array(OutboxRecord),
  /** Per sink: every record with seq <= cursor was acknowledged by it. */
  cursors: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  /** Highest seq that was ever handed to a sink (persisted before the send): records above it may be merged. */
  attemptedThrough: Type.Integer({ minimum: 0 }),
  lastDelivery: Type.Record(Type.String(), UnixMs),
  /** Per non-idempotent sink: the seq being sent, saved before the send and cleared in the save after its answer. */
  inFlight: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 1 }))),
  detected: Type.Object({
    reboots: Type.Integer({ minimum: 0 }),
    resets: Type.Integer({ minimum: 0 }),
    wraps: Type.Integer({ minimum: 0 }),
    suspicious: Type.Integer({ minimum: 0 }),
    proxyRestarts: Type.Integer({ minimum: 0 }),
  }),
  /** Local per hour/day/month traffic for `traffic-agent report`; absent in a state written by an older agent. */
  rollups: Type.Optional(Rollups),
});
export type AgentState = Static<typeof AgentState>;
