/**
 * A sink takes records from the outbox and says which it accepted. Only accepted records move the sink's cursor;
 * the rest are offered again later, with the same seq and contents, so the receiver can recognise a repeat.
 */
import type { HostFacts } from '../../protocol/heartbeat.js';
import type { LoadAverage } from '../sources/loadavg.js';
import type { OutboxRecord } from '../state/agent-state.js';
import type { SinkSpec } from '../outbox/outbox.js';

/** What a sink may send besides the records: the epoch, and what the last sample saw of the machine. */
export interface DeliveryContext {
  epoch: string;
  now: () => number;
  load: LoadAverage | null;
  uptimeSec: number;
  bootId: string | null;
  host: HostFacts | undefined;
}

export interface DeliveryResult {
  acked: Set<number>;
  /** Records the receiver already had (a resend after a lost response). */
  duplicates: number;
}

/** Pushes whose answer was lost after the request was written, by what was done about them. */
export interface LostResponseCounts {
  retried: number;
  assumedDelivered: number;
}

/** What a sink counts on its own, for the metrics (null where it does not apply). */
export interface SinkStats {
  lostResponses: LostResponseCounts | null;
}

export interface Sink extends SinkSpec {
  /** At most this many records per delivery attempt. */
  readonly batchSize: number;
  /** Whether the sink is called even with no record (a heartbeat keeps the node online). */
  readonly sendsEmpty: boolean;
  /**
   * Whether the receiver recognises a resend (our collector: by seq or Idempotency-Key). A sink that is not
   * idempotent (a panel) gets one record at a time, saved as in flight before the send and acknowledged in a save
   * right after, so a crash can never make the agent send a record such a receiver already booked.
   */
  readonly idempotent: boolean;
  /**
   * A record was in flight to a non-idempotent sink when the agent stopped: it may have been booked. Returns true to
   * count it as delivered, false to send it again (and logs and counts the case either way).
   */
  interrupted?(record: OutboxRecord): boolean;
  deliver(records: readonly OutboxRecord[], ctx: DeliveryContext): Promise<DeliveryResult>;
  stats(): SinkStats;
  /** Ends the connections once a request in flight is answered (within its deadline). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * For receivers that take one record per request: sends them in order and stops at the first that fails. The ones
 * sent before it count as acknowledged and the rest are offered again; a failure of the very first is thrown.
 */
export async function deliverInOrder(
  records: readonly OutboxRecord[],
  pushOne: (r: OutboxRecord) => Promise<void>,
): Promise<DeliveryResult> {
  const acked = new Set<number>();
  for (const r of records) {
    try {
      await pushOne(r);
    } catch (err) {
      if (acked.size === 0) throw err;
      break;
    }
    acked.add(r.seq);
  }
  return { acked, duplicates: 0 };
}

/**
 * A failed delivery: `retryable` false means the receiver refused the request itself (bad token, bad body).
 * `conflict` is the collector saying it holds one of these records (`seqs`) with different contents.
 */
export class DeliveryError extends Error {
  readonly status: number | null;
  readonly retryable: boolean;
  readonly conflict: { seqs: readonly number[] } | null;

  constructor(
    message: string,
    status: number | null,
    retryable: boolean,
    options?: { cause?: unknown; conflict?: { seqs: readonly number[] } },
  ) {
    super(message, options);
    this.name = 'DeliveryError';
    this.status = status;
    this.retryable = retryable;
    this.conflict = options?.conflict ?? null;
  }
}
