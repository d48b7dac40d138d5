/**
 * Content digests the collector keeps so that a resend of an (epoch, seq) it already holds can be told apart from a
 * different record under the same number (a second agent on one state directory, a state restored from a backup):
 * same digest = the ordinary duplicate, different digest = a conflict (TC_RECORD_CONFLICT).
 *
 * A digest is computed over the canonical form of the fields that make a record, never over the bytes on the wire,
 * so a legitimate resend always matches however it is serialised: numbers as decimal integers, byte counts as
 * canonical decimal strings (leading zeros dropped), events as a set (sorted, repeats removed; absent = empty).
 * It is the first 8 bytes of SHA-256 read as a signed 64-bit integer (both engines store it in a native integer
 * column); two different records share one with probability 2^-64.
 */
import { createHash, hash } from 'node:crypto';

/** The fields of a heartbeat record that its digest covers (the TrafficRecord of heartbeat.ts, or the stored form). */
export interface DigestableRecord {
  seq: number;
  from: number;
  to: number;
  rx: bigint | string;
  tx: bigint | string;
  events?: readonly string[];
}

function digest64(canonical: string): bigint {
  return hash('sha256', canonical, 'buffer').readBigInt64BE(0); // one-shot: half the cost of createHash per record
}

const canonicalCount = (v: bigint | string): string => BigInt(v).toString();

/** The digest of one heartbeat record over (seq, from, to, rx, tx, events). */
export function recordDigest(r: DigestableRecord): bigint {
  const events = [...new Set(r.events ?? [])].sort();
  return digest64(JSON.stringify(['record', r.seq, r.from, r.to, canonicalCount(r.rx), canonicalCount(r.tx), events]));
}

/**
 * The digest of one per-user push: its entries as the node measured them (before the node's rate is applied, so a
 * rate changed between a push and its resend does not turn the resend into a conflict), merged per user, entries
 * of 0/0 left out, in ascending user id; plus the measurement time the push names (X-Traffic-Measured-At), if any.
 * The canonical text is `["push",<measuredAt|null>,["<uid>:<up>:<down>",...]]` (JSON).
 */
export function pushDigest(
  entries: Iterable<readonly [userId: number, up: bigint, down: bigint]>,
  measuredAt: number | undefined,
): bigint {
  const byUser = new Map<number, [bigint, bigint]>();
  for (const [uid, up, down] of entries) {
    const cur = byUser.get(uid) ?? [0n, 0n];
    cur[0] += up;
    cur[1] += down;
    byUser.set(uid, cur);
  }
  const d = new PushDigest(measuredAt);
  for (const [uid, [u, dn]] of [...byUser].sort((a, b) => a[0] - b[0])) d.add(uid, u, dn);
  return d.digest();
}

/**
 * pushDigest() fed one merged user at a time in strictly ascending user id, hashing as it goes: a push of 100,000
 * users never exists as one canonical string. Gives the same digest as pushDigest() over the same entries.
 */
export class PushDigest {
  private readonly sha = createHash('sha256');
  private text: string;
  private first = true;
  private lastUid = -1;

  constructor(measuredAt: number | undefined) {
    this.text = `["push",${JSON.stringify(measuredAt ?? null)},[`;
  }

  /** One user's merged entry; 0/0 is left out, as pushDigest() does. */
  add(uid: number, up: bigint, down: bigint): void {
    if (!(uid > this.lastUid)) throw new RangeError(`PushDigest: user ${uid} after ${this.lastUid}`);
    this.lastUid = uid;
    if (up === 0n && down === 0n) return;
    this.text += `${this.first ? '' : ','}"${uid}:${up}:${down}"`;
    this.first = false;
    if (this.text.length >= 65_536) {
      this.sha.update(this.text);
      this.text = '';
    }
  }

  digest(): bigint {
    this.sha.update(`${this.text}]]`);
    return this.sha.digest().readBigInt64BE(0);
  }
}
