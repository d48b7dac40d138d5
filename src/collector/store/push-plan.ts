/**
 * The pure part of a keyed per-user push, shared by both engines: given what the store holds for the push's
 * Idempotency-Key, is the push new, a resend, or a conflict? No I/O.
 */
import { MAX_SEQ_AHEAD } from '../../protocol/seq-bound.js';
import { CollectorError } from '../errors.js';

export type PushDecision = 'apply' | 'duplicate' | 'unverified';

export interface PushKeyFacts {
  key: string;
  digest: bigint;
  /** Epoch and seq when the key is one our agents make (protocol/uniproxy.ts), else undefined. */
  parts: { epoch: string; seq: number } | undefined;
  /** Whether this push's key row was inserted now (false: the key was already held). */
  keyInserted: boolean;
  /** The digest held with the key when it was already held; null for a key stored before digests existed. */
  heldDigest: bigint | null | undefined;
  /** The node's push high-water row of the key's epoch, if any. */
  highWater: { seq: number; unverifiableThrough: number } | undefined;
  /**
   * The highest heartbeat record seq stored for the node and the key's epoch; 0 when none. Pushes take their seqs from
   * the same outbox as the records, so this bounds a new key's seq (MAX_SEQ_AHEAD) as it bounds a heartbeat's.
   */
  recordHighWater: number;
}

/**
 * apply / duplicate / unverified (a resend whose digest was pruned), or throws TC_RECORD_CONFLICT, or
 * TC_SEQ_TOO_FAR_AHEAD for a new key whose seq lies more than MAX_SEQ_AHEAD above the epoch's heartbeat high-water
 * seq. The bound is measured from the heartbeat records, never from the pushes: a token holder could otherwise ratchet
 * the push high-water up one bound at a time. An epoch without heartbeat records is not bounded, as for heartbeats.
 */
export function decidePush(f: PushKeyFacts): PushDecision {
  if (!f.keyInserted) {
    if (f.heldDigest === null || f.heldDigest === undefined) return 'unverified';
    if (f.heldDigest === f.digest) return 'duplicate';
    throw new CollectorError('TC_RECORD_CONFLICT', `push ${f.key} was applied with different contents`);
  }
  const hw = f.highWater;
  if (f.parts && hw && f.parts.seq <= hw.seq) {
    if (f.parts.seq <= hw.unverifiableThrough) return 'unverified';
    throw new CollectorError(
      'TC_RECORD_CONFLICT',
      `push ${f.key} is under the node's highest applied seq ${hw.seq} of its epoch but was never applied`,
    );
  }
  if (f.parts && f.recordHighWater > 0 && f.parts.seq > f.recordHighWater + MAX_SEQ_AHEAD)
    throw new CollectorError(
      'TC_SEQ_TOO_FAR_AHEAD',
      `push ${f.key}: seq ${f.parts.seq} is more than ${MAX_SEQ_AHEAD} above ${f.recordHighWater}, the highest heartbeat record seq stored of its epoch`,
    );
  return 'apply';
}
