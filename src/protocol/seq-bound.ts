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
