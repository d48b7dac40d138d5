/**
 * Pure parts of an Xboard-style push: which entries count, the node's rate applied as the panel does
 * (value x rate, floored to whole bytes), and the day the traffic is booked on.
 */
import { startOfLocalDay } from '../common/calendar.js';
import { parseIdempotencyKey } from '../protocol/uniproxy.js';
import { MAX_CLOCK_AHEAD_MS } from './store/ingest-plan.js';

/** A canonical decimal rate ("1", "0.5", "1.25"): at most 6 decimals, no sign, no exponent. */
export const RATE_PATTERN = /^(0|[1-9]\d{0,5})(\.\d{1,6})?$/;

export function canonicalRate(rate: string | number): string {
  const s = typeof rate === 'number' ? String(rate) : rate.trim();
  if (!RATE_PATTERN.test(s))
    throw new RangeError(`rate: must be a non-negative decimal with at most 6 decimals, got ${JSON.stringify(rate)}`);
  const [i, f = ''] = s.split('.');
  const frac = f.replace(/0+$/, '');
  return frac ? `${i}.${frac}` : i;
}

/** value x rate, floored, exact in bigint, with the rate parsed once (identity for "1"). */
export function rateMultiplier(rate: string): (value: bigint) => bigint {
  if (rate === '1') return (v) => v;
  const [i, f = ''] = rate.split('.');
  const scale = 10n ** BigInt(f.length);
  const factor = BigInt(i + f);
  return (v) => (v * factor) / scale;
}

/**
 * Day the traffic is booked on: the local day (collector timezone) of the measurement time, in unix seconds. A time
 * further ahead of the collector's clock than MAX_CLOCK_AHEAD_MS counts as that bound, as a heartbeat record's does.
 */
export function recordDay(
  measuredAtHeader: string | string[] | undefined,
  receivedAt: number,
  timeZone: string,
): number {
  const measured = measuredAtOf(measuredAtHeader) ?? receivedAt;
  return Math.floor(startOfLocalDay(Math.min(measured, receivedAt + MAX_CLOCK_AHEAD_MS), timeZone) / 1000);
}

/** The unix ms an X-Traffic-Measured-At header names, or undefined when absent or not digits. */
export function measuredAtOf(header: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(header) ? header[0] : header;
  return raw !== undefined && /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
}

/** "<nodeId>:<epoch>:<seq>" for this node, or a reason it is not one. */
export function checkIdempotencyKey(key: string, nodeId: number): string | undefined {
  const k = parseIdempotencyKey(key);
  if (!k) return 'must be <nodeId>:<epoch>:<seq>';
  if (k.nodeId !== nodeId) return 'names another node';
  return undefined;
}
