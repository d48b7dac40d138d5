/** /proc/loadavg: `0.12 0.34 0.56 1/234 5678`; only the three load averages are used. */
import { AgentError } from '../errors.js';
import { procfs } from './procfs.js';

export type LoadAverage = [number, number, number];

export function parseLoadavg(text: string): LoadAverage {
  const fields = text.trim().split(/\s+/);
  const values = fields.slice(0, 3).map(Number);
  if (fields.length < 3 || values.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new AgentError(
      'PROC_MALFORMED',
      `loadavg: expected three non-negative numbers, got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
  return [values[0], values[1], values[2]];
}

export async function readLoadavg(procRoot: string): Promise<LoadAverage> {
  return parseLoadavg(procfs(procRoot).readFile('loadavg'));
}
