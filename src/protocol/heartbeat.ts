/**
 * The agent -> collector heartbeat: the one wire contract both sides import.
 *
 * Invariants (what makes "not one byte lost, not one counted twice" hold across the wire):
 * - A record is identified by (node, epoch, seq). seq is strictly increasing within an epoch; gaps are allowed
 *   (records that were never sent may be merged by the agent). A new epoch starts whenever the agent cannot be sure
 *   its sequence counter is the newest it ever persisted (first run, or state lost beyond its last good copy).
 * - A record is immutable once persisted by the agent: a resend carries the same (epoch, seq) and the same contents.
 * - The collector stores each (node, epoch, seq) at most once and acknowledges, in `acked`, every seq of the request
 *   that is stored now, whether by this request or an earlier one. Only acknowledged records leave the agent's outbox.
 * - A resend is recognised by its content digest (record-digest.ts): an (epoch, seq) the collector holds with other
 *   contents is a conflict, never a duplicate. The records before the first conflicting one are stored and acked
 *   (200); when the conflicting record is the first of the request the answer is 409 TC_RECORD_CONFLICT.
 * - Records of one request are in ascending seq order and are applied in one transaction: all of them up to the first
 *   conflicting record, or nothing.
 */
import { Type, type Static } from '@sinclair/typebox';
import { U64_PATTERN } from './u64.js';

export const HEARTBEAT_PATH = '/api/v1/agent/heartbeat';
/** At most this many records in one heartbeat; the agent batches below it, the collector refuses above it. */
export const MAX_RECORDS_PER_HEARTBEAT = 500;
/**
 * How long the collector keeps an idle connection open (its HTTP keep-alive timeout, which it announces as
 * `Keep-Alive: timeout=72`; Fastify's own default). It is longer than the agent's default heartbeat interval (60 s)
 * plus the second of margin the agent allows (sinks/http-connections.ts), so an agent at the default interval sends
 * every heartbeat on one connection instead of opening and closing one each tick: about 0.4 ms of the agent's CPU per
 * 60 s tick, measured side by side (docs/benchmarks.md).
 */
export const COLLECTOR_KEEP_ALIVE_MS = 72_000;
/** At most this many event tags on one record; the agent keeps the first ones (a merge included). */
export const MAX_RECORD_EVENTS = 64;

export const U64String = Type.String({
  pattern: U64_PATTERN,
  maxLength: 20,
  description: 'unsigned 64-bit decimal string',
});
export const Epoch = Type.String({ pattern: '^[0-9a-f]{16}$', description: '64-bit random id, hex' });
/** Unix time in milliseconds. */
export const UnixMs = Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000 });

export const TrafficRecord = Type.Object(
  {
    seq: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }),
    /** When the interval this record covers began and ended (the agent's clock, ms). */
    from: UnixMs,
    to: UnixMs,
    /** Bytes received and sent by the selected interfaces in the interval. */
    rx: U64String,
    tx: U64String,
    /**
     * What the accounting noticed in this interval: reboot, reset:<if>, wrap:<if>, suspicious:<if>,
     * implausible:<if> (a broken counter: a jump of 2^62 bytes or more, not counted), proxy-restart. A record merged
     * from several keeps the union of their tags. The collector alerts on reboot, reset:* and implausible:*
     * (src/collector/alerts/alert-rules.ts).
     */
    events: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: MAX_RECORD_EVENTS })),
  },
  { additionalProperties: false },
);
export type TrafficRecord = Static<typeof TrafficRecord>;

export const HostFacts = Type.Object(
  {
    hostname: Type.Optional(Type.String({ maxLength: 255 })),
    os: Type.Optional(Type.String({ maxLength: 255 })),
    kernel: Type.Optional(Type.String({ maxLength: 255 })),
    arch: Type.Optional(Type.String({ maxLength: 64 })),
    cpus: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    memTotalBytes: Type.Optional(U64String),
  },
  { additionalProperties: false },
);
export type HostFacts = Static<typeof HostFacts>;

export const HeartbeatRequest = Type.Object(
  {
    epoch: Epoch,
    records: Type.Array(TrafficRecord, { maxItems: MAX_RECORDS_PER_HEARTBEAT }),
    /** Load average 1/5/15 at send time; null when the agent could not read it (the records still count). */
    load: Type.Union([
      Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })]),
      Type.Null(),
    ]),
    uptimeSec: Type.Number({ minimum: 0 }),
    bootId: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
    agentVersion: Type.String({ maxLength: 64 }),
    host: Type.Optional(HostFacts),
    sentAt: UnixMs,
  },
  { additionalProperties: false },
);
export type HeartbeatRequest = Static<typeof HeartbeatRequest>;

export const HeartbeatResponse = Type.Object(
  {
    nodeId: Type.Integer(),
    epoch: Epoch,
    /** Every seq of the request that the collector holds now. */
    acked: Type.Array(Type.Integer()),
    /** How many of them it already had (a resend). */
    duplicates: Type.Integer({ minimum: 0 }),
    /** The collector's clock, so an agent can log a skew. */
    serverTime: UnixMs,
  },
  { additionalProperties: false },
);
export type HeartbeatResponse = Static<typeof HeartbeatResponse>;

/** Every error body of the collector's own API. `code` is stable (see src/collector/errors.ts). */
export const ErrorBody = Type.Object({
  error: Type.Object({ code: Type.String(), message: Type.String() }),
});
export type ErrorBody = Static<typeof ErrorBody>;
