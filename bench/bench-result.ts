/**
 * Machine-readable figures for `npm run bench` (bench/all.ts): when BENCH_RESULT_FILE is set, each figure a bench
 * reports is appended to that file as one JSON line; otherwise nothing happens. A bench's own output is unchanged.
 */
import { appendFileSync } from 'node:fs';

export interface Figure {
  /** What was measured, e.g. "collector on PostgreSQL, heartbeats/s". */
  name: string;
  value: number;
  unit: string;
  /** The goal, when the figure has one: met when value >= min (or <= max). */
  goal?: { min?: number; max?: number };
}

export function reportFigures(bench: string, figures: Figure[]): void {
  const file = process.env.BENCH_RESULT_FILE;
  if (!file) return;
  for (const f of figures) appendFileSync(file, `${JSON.stringify({ bench, ...f })}\n`);
}
