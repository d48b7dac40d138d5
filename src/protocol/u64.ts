/**
 * Byte counters travel as decimal strings: they can exceed 2^53, which a JSON number cannot carry exactly.
 * Every side that reads one goes through parseU64 (or a schema with U64_PATTERN); writing is bigint.toString().
 */
export const U64_MAX = (1n << 64n) - 1n;

/** JSON-schema pattern for an unsigned decimal without leading zeros; the range check is parseU64's job. */
export const U64_PATTERN = '^(0|[1-9][0-9]{0,19})$';

const U64_RE = new RegExp(U64_PATTERN);

export function isU64String(value: unknown): value is string {
  return typeof value === 'string' && U64_RE.test(value) && BigInt(value) <= U64_MAX;
}

/** Parses a decimal string (or a safe non-negative integer) as an unsigned 64-bit value, or throws a RangeError naming the field. */
export function parseU64(value: unknown, field = 'value'): bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    throw new RangeError(`${field}: must be a non-negative integer, got ${value}`);
  }
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= U64_MAX) return value;
    throw new RangeError(`${field}: out of the unsigned 64-bit range`);
  }
  if (!isU64String(value)) {
    throw new RangeError(
      `${field}: must be a decimal string of an unsigned 64-bit integer, got ${JSON.stringify(value)}`,
    );
  }
  return BigInt(value);
}
