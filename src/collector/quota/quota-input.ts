/** Checks a quota as the operator gave it (CLI or admin API) before it is stored: one set of rules for both. */
import { STORE_MAX } from '../store/store.js';
import { CollectorError } from '../errors.js';
import type { NewQuota } from '../store/quota-store.js';
import { MEASURES, type Measure } from './quota-math.js';

export const DEFAULT_THRESHOLDS = [80, 90, 100];
export const MAX_THRESHOLD = 1000;

export interface QuotaRequest {
  nodeId?: number | null;
  poolId?: number | null;
  limit: bigint;
  measure?: string;
  thresholds?: number[];
  cycleDays?: number | null;
  cycleStart?: number | null;
  channels?: string[];
}

export function checkQuota(r: QuotaRequest, channelNames: readonly string[], now: number): NewQuota {
  const bad = (why: string) => new CollectorError('TC_BAD_QUOTA', why);
  const nodeId = r.nodeId ?? null;
  const poolId = r.poolId ?? null;
  if ((nodeId === null) === (poolId === null)) throw bad('give exactly one of node and pool');
  if (r.limit < 1n || r.limit > STORE_MAX) throw bad('the limit must be 1 to 2^63-1 bytes');
  const measure = (r.measure ?? 'sum') as Measure;
  if (!MEASURES.includes(measure)) throw bad(`measure must be one of ${MEASURES.join(', ')}`);
  const thresholds = [...(r.thresholds ?? DEFAULT_THRESHOLDS)].sort((a, b) => a - b);
  if (!thresholds.length) throw bad('at least one threshold');
  for (const t of thresholds)
    if (!Number.isInteger(t) || t < 1 || t > MAX_THRESHOLD)
      throw bad(`threshold ${t} is not an integer 1-${MAX_THRESHOLD}`);
  if (new Set(thresholds).size !== thresholds.length) throw bad('thresholds repeat');
  const cycleDays = r.cycleDays ?? null;
  const cycleStart = r.cycleStart ?? null;
  if ((cycleDays === null) !== (cycleStart === null)) throw bad('a custom cycle needs both cycle days and cycle start');
  if (cycleDays !== null && (!Number.isInteger(cycleDays) || cycleDays < 1 || cycleDays > 3660))
    throw bad('cycle days must be an integer 1-3660');
  const channels = [...new Set(r.channels ?? [])];
  for (const c of channels) if (!channelNames.includes(c)) throw bad(`no alert channel named "${c}" is configured`);
  return { nodeId, poolId, limit: r.limit, measure, thresholds, cycleDays, cycleStart, channels, createdAt: now };
}
