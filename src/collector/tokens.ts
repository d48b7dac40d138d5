/**
 * Bearer tokens: 256-bit random, stored only as sha256 (enough for uniformly random tokens), compared with
 * timingSafeEqual. Every check hashes and compares even when nothing matched (against a dummy hash), so a wrong
 * token costs the same as a right one that fails.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_BYTES = 32;
const DUMMY_HASH = hashToken('traffic-collector:no-such-token');

export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** sha256 of the token's UTF-8 bytes; one-shot (every heartbeat pays it: a third of createHash's cost here). */
export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}

/** Constant-time equality of a computed hash and a stored one (undefined compares against a dummy and fails). */
export function hashMatches(computed: Buffer, stored: Buffer | undefined): boolean {
  const other = stored && stored.length === computed.length ? stored : DUMMY_HASH;
  const equal = timingSafeEqual(computed, other);
  return equal && other !== DUMMY_HASH;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
