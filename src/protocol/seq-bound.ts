/**
 * How far above a node's high-water seq (per epoch) one heartbeat's records may reach. Without a bound, a holder of a
 * node token could send seq 2^53-1 and every later real record of that epoch would look like a duplicate.
 *
 * The bound is what the agent can legitimately send: a heartbeat starts at most one seq above what the collector
 * acknowledged (the agent resends from its cursor, and seqs are handed out one per record without gaps), then holds at
 * most MAX_RECORDS_PER_HEARTBEAT records. Gaps between them come only from the outbox merging never-sent records
 * (src/agent/outbox/outbox.ts, compact), within one bucket of at most a UTC day, so one record stands for at most
 * every record of one day: one per tick at the shortest interval the agent accepts, with a margin of 4 for the
 * records that do not wait for a tick (start, stop, reload, `once`). test/collector/seq-bound.test.ts keeps these
 * numbers in step with the agent's config schema and outbox.
 *
 * The collector refuses a heartbeat with a record above highWater + MAX_SEQ_AHEAD (TC_SEQ_TOO_FAR_AHEAD). It cannot
 * bound the first records of an epoch it has never seen (high-water 0): an agent that adds the collector as a sink
 * later, or a node registered again, legitimately starts far above 1. Such an epoch is the attacker's own invention,
 * unless it is the agent's epoch before its first delivery.
 *
 * UniProxy pushes keyed "<nodeId>:<epoch>:<seq>" take their seq from the same outbox records, so the collector refuses
 * a new key whose seq is above the same highWater (of the heartbeat records, src/collector/store/push-plan.ts) +
 * MAX_SEQ_AHEAD with the same code; without it a push keyed 2^53-1 would make every later real push of the epoch a
 * conflict (409). The bound is deliberately not the push high-water: each accepted push would raise it, and a token
 * holder could walk it up one bound at a time. While the collector holds no heartbeat record of the epoch the push is
 * not bounded, for the reason above (pushes can also reach the collector before the epoch's first heartbeat). The
 * agent's push cursor runs ahead of its heartbeat cursor only while heartbeats are refused or failing; at one record
 * per tick of the shortest interval it would take the heartbeats 5 years of failing to reach the bound (a tick whose
 * users are split over n records takes n seqs: n times sooner).
 */
import { MAX_RECORDS_PER_HEARTBEAT } from './heartbeat.js';

/** The agent's shortest heartbeatIntervalSec (its config schema's minimum): at most one record per tick. */
export const MIN_HEARTBEAT_INTERVAL_SEC = 0.05;
/** The widest bucket the outbox merges records within (the last of MERGE_BUCKETS_MS). */
export const MAX_MERGE_BUCKET_MS = 86_400_000;
/** Records one outbox record can stand for after merging, with a margin of 4 for records outside the tick. */
export const MAX_SEQS_PER_RECORD = (4 * MAX_MERGE_BUCKET_MS) / (MIN_HEARTBEAT_INTERVAL_SEC * 1000);
/** How far above the high-water seq a heartbeat may reach: 500 x 6,912,000 = 3,456,000,000. */
export const MAX_SEQ_AHEAD = MAX_RECORDS_PER_HEARTBEAT * MAX_SEQS_PER_RECORD;
