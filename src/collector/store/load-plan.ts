/**
 * Load history, the pure part shared by both engines: whether a heartbeat adds a load sample, and when. No I/O, no
 * clock. A kept sample is one row of load_samples (the raw window), written in the transaction of the heartbeat it
 * came from, with the node's marks (traffic_stats.load_sent_at, load_sampled_at) in the same UPDATE as its totals.
 * Pruning rolls samples older than the raw window up into load_hourly (samples, sums, min and max of load 1/5/15 per
 * hour) in the transaction that deletes them; an hour is read as its rolled-up row merged with the samples still raw.
 *
 * Exactly once: a node's samples are keyed by the agent's `sentAt`, which must rise. A heartbeat adds a sample only if
 * - it carries a load (an agent that could not read /proc/loadavg sends null);
 * - it is not a resend: its records are not all duplicates or conflicts (a heartbeat with no records, which an idle
 *   node sends, counts as new);
 * - its sentAt is above the node's last sampled sentAt (a replayed or older request is a resend too);
 * - at least `minGapMs` of the collector's clock have passed since the node's last sample (the raw window stays
 *   bounded whatever the heartbeat interval: about one sample a minute by default).
 * The sample is dated by the collector's clock (as last_seen and the fleet's "online"), so one agent's wrong clock
 * cannot put samples outside the retention windows. An agent clock far ahead is taken no further than
 * MAX_CLOCK_AHEAD_MS ahead of the collector's, so once corrected it is blocked for at most that long.
 */
import { MAX_CLOCK_AHEAD_MS, hourOf } from './ingest-plan.js';

/**
 * A load average above this is not a machine's (Linux keeps it as a fixed-point number; a host with 100,000 runnable
 * tasks is far beyond any node): such a heartbeat still counts its records, but its load is not kept as a sample, so
 * one broken or hostile agent cannot overflow the hourly sums (PostgreSQL would refuse them, and pruning with them).
 */
export const MAX_LOAD = 1_000_000;

/** Default least time between two kept samples of one node: every heartbeat up to a 50 s interval, about 1/min. */
export const DEFAULT_LOAD_SAMPLE_GAP_MS = 50_000;

/** What the store holds about a node's last kept sample (traffic_stats.load_sent_at, load_sampled_at). */
export interface LoadMarks {
  /** The agent's sentAt of the last kept sample (clamped, see above); null before the first one. */
  sentAt: number | null;
  /** The collector's clock when it was kept. */
  sampledAt: number | null;
}

export interface LoadSamplePlan {
  /** Collector time of the sample, unix ms. */
  at: number;
  /** Its hour in load_hourly. */
  hour: number;
  load: [number, number, number];
  /** The marks the node holds after this sample. */
  marks: { sentAt: number; sampledAt: number };
}

export interface LoadSampleInput {
  load: [number, number, number] | null;
  /** The agent's clock when it sent the heartbeat; absent: the collector's (no replay protection beyond the gap). */
  sentAt?: number;
  /** Records in the request, and how many of them were fresh. */
  records: number;
  fresh: number;
}

export function planLoadSample(
  before: LoadMarks,
  hb: LoadSampleInput,
  receivedAt: number,
  minGapMs: number,
): LoadSamplePlan | undefined {
  if (hb.load === null || !hb.load.every((x) => Number.isFinite(x) && x >= 0 && x <= MAX_LOAD)) return undefined;
  if (hb.records > 0 && hb.fresh === 0) return undefined;
  const sentAt = Math.min(hb.sentAt ?? receivedAt, receivedAt + MAX_CLOCK_AHEAD_MS);
  if (before.sentAt !== null && sentAt <= before.sentAt) return undefined;
  if (before.sampledAt !== null && receivedAt < before.sampledAt + minGapMs) return undefined;
  return { at: receivedAt, hour: hourOf(receivedAt), load: hb.load, marks: { sentAt, sampledAt: receivedAt } };
}
