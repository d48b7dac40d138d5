/**
 * Pure parts of an Xboard-style push: which entries count, the node's rate applied as the panel does
 * (value x rate, floored to whole bytes), and the day the traffic is booked on.
 */
import { startOfLocalDay } from '../common/calendar.js';
import { pushDigest } from '../protocol/record-digest.js';
import { parseIdempotencyKey } from '../protocol/uniproxy.js';
import { MAX_CLOCK_AHEAD_MS } from './store/ingest-plan.js';
import { STORE_MAX } from './store/store.js';

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

export interface ParsedPush {
  /** [user id, upload, download] sorted by user id, the rate applied, 0/0 rows left out. */
  rows: Array<[number, bigint, bigint]>;
  /** pushDigest() of the entries as measured (before the rate) and the measurement time. */
  digest: bigint;
}

/**
 * `{"<uid>": [up, down]}` -> rows sorted by uid with the rate applied, and the push's content digest; entries that
 * are not a pair of non-negative safe integers, or whose key is not a user id, are skipped (as the panel skips them).
 * Returns undefined when the body is not a JSON object (the panel answers 422).
 */
export function parsePushEntries(
  body: unknown,
  rate: string,
  measuredAt?: number,
): ParsedPush | 'too-large' | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const byUser = new Map<number, [bigint, bigint]>();
  for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
    if (!/^\d{1,15}$/.test(key) || !Array.isArray(v) || v.length !== 2) continue;
    const [up, down] = v as unknown[];
    if (!isCount(up) || !isCount(down)) continue;
    if (BigInt(up) > STORE_MAX || BigInt(down) > STORE_MAX) return 'too-large';
    const uid = Number(key);
    const cur = byUser.get(uid) ?? [0n, 0n];
    cur[0] += BigInt(up);
    cur[1] += BigInt(down);
    byUser.set(uid, cur);
  }
  const rows: Array<[number, bigint, bigint]> = [];
  const times = rateMultiplier(rate);
  for (const [uid, [u, d]] of byUser) {
    const ru = times(u),
      rd = times(d);
    if (ru > STORE_MAX || rd > STORE_MAX) return 'too-large';
    if (ru !== 0n || rd !== 0n) rows.push([uid, ru, rd]);
  }
  rows.sort((a, b) => a[0] - b[0]);
  return {
    rows,
    digest: pushDigest(
      [...byUser].map(([uid, [u, d]]) => [uid, u, d] as const),
      measuredAt,
    ),
  };
}

/** A count: a non-negative safe integer, or (our agent's exact form for large values) a string of decimal digits. */
function isCount(v: unknown): v is number | string {
  if (typeof v === 'string') return /^(0|[1-9][0-9]{0,19})$/.test(v);
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
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
