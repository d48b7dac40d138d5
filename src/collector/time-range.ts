/** from/to query values: unix ms or ISO 8601 dates. */
import { CollectorError } from './errors.js';

export function parseInstant(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = /^\d{1,16}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0 || ms > 8_640_000_000_000_000)
    throw new CollectorError('TC_BAD_RANGE', `${name}=${value}`);
  return ms;
}

export function parseRange(
  q: { from?: string; to?: string },
  now: number,
  defaultSpanMs: number,
): { from: number; to: number } {
  const to = parseInstant(q.to, 'to') ?? now;
  const from = parseInstant(q.from, 'from') ?? Math.max(0, to - defaultSpanMs);
  if (from >= to) throw new CollectorError('TC_BAD_RANGE', 'from must be before to');
  return { from, to };
}
