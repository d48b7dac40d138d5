/**
 * The pure part of a keyed per-user push, shared by both engines: given what the store holds for the push's
 * Idempotency-Key, is the push new, a resend, or a conflict? No I/O.
 */
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
}

/** apply / duplicate / unverified (a resend whose digest was pruned), or throws TC_RECORD_CONFLICT. */
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
  return 'apply';
}
