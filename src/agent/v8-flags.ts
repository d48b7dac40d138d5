/**
 * V8 flags for a daemon that wakes once a tick, set when the program starts, before the rest of it is loaded (see
 * below): a single executable takes no V8 flags on its command line, and NODE_OPTIONS admits only a few. Harmless
 * for the short commands. Measured whole-process with `npm run bench:footprint` (docs/benchmarks.md):
 * - bytecode is kept: V8 flushes the bytecode of functions left idle across a few GCs, so at the default 60 s interval
 *   every tick compiled its code again;
 * - no incremental marking, which also keeps V8's memory reducer from starting: after the first full GCs of start-up
 *   (the heap's committed size then crosses the reducer's threshold) the reducer judged the quiet daemon idle and ran
 *   rounds of memory-reducing full GCs 8 s later, about 100 ms of CPU each time, for a heap of about 12 MB. A full GC
 *   of a heap this small takes a few milliseconds at once; incremental steps only spread it out;
 * - the memory reducer's other trigger (old space growing before the first full GC) is off too.
 * They must be set before the rest of the program is even compiled: V8 arms the memory reducer when its old
 * generation grows by 1 MB after start (the small-heaps trigger), and compiling the agent does that. Once armed, the
 * reducer wakes every 8 s to start a GC that it cannot start with incremental marking off, for the life of the
 * process: about 1 ms of CPU a minute. So the two entry points run this module and nothing else first:
 * bin/traffic-agent.js before it imports the CLI, and the single executable's main script (sea/launch.ts) before it
 * compiles the agent's bundle.
 */
import { setFlagsFromString } from 'node:v8';

export const DAEMON_V8_FLAGS = [
  '--no-flush-bytecode',
  '--no-incremental-marking',
  '--no-memory-reducer-for-small-heaps',
] as const;

for (const flag of DAEMON_V8_FLAGS) setFlagsFromString(flag);
