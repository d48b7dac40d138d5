/**
 * V8 flags for a daemon that wakes once a tick, set when the program starts, before the rest of it is loaded (imported
 * first by cli.ts and by the single executable's entry): a single executable takes no V8 flags on its command line,
 * and NODE_OPTIONS admits only a few. Harmless for the short commands. Measured whole-process with
 * `npm run bench:footprint` (docs/benchmarks.md):
 * - bytecode is kept: V8 flushes the bytecode of functions left idle across a few GCs, so at the default 60 s interval
 *   every tick compiled its code again;
 * - no incremental marking, which also keeps V8's memory reducer from starting: after the first full GCs of start-up
 *   (the heap's committed size then crosses the reducer's threshold) the reducer judged the quiet daemon idle and ran
 *   rounds of memory-reducing full GCs 8 s later, about 100 ms of CPU each time, for a heap of about 12 MB. A full GC
 *   of a heap this small takes a few milliseconds at once; incremental steps only spread it out;
 * - the memory reducer's other trigger (old space growing before the first full GC) is off too.
 * They must be set before the first full GC: set later, the reducer may already be armed.
 */
import { setFlagsFromString } from 'node:v8';

export const DAEMON_V8_FLAGS = [
  '--no-flush-bytecode',
  '--no-incremental-marking',
  '--no-memory-reducer-for-small-heaps',
] as const;

for (const flag of DAEMON_V8_FLAGS) setFlagsFromString(flag);
