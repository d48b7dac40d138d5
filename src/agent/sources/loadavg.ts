/** /proc/loadavg: `0.12 0.34 0.56 1/234 5678`; only the three load averages are used. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import { errorMessage } from '../../common/error-message.js';

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
  const path = join(procRoot, 'loadavg');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AgentError('PROC_UNREADABLE', `cannot read ${path}: ${errorMessage(err)}`, [], { cause: err });
  }
  return parseLoadavg(text);
}
