/**
 * V8 settings for a daemon that wakes once a tick (set at run time: a single executable takes no V8 flags on its
 * command line, and NODE_OPTIONS admits only a few). Measured whole-process with npm run bench:footprint:
 * - bytecode is kept: V8 flushes the bytecode of functions left idle across a few GCs, so at the default 60 s interval
 *   every tick compiled its code again;
 * - no memory reducer: with a small heap and little allocation V8 took the agent for idle and ran rounds of three
 *   memory-reducing full GCs, each round about 100 ms of CPU, more than the ticks between them. Instead, one full GC
 *   once the daemon is running drops the start-up garbage (config schema compile, argument parsing) a single time.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Applies the flags; returns the one GC to run once start-up is over. */
export function tuneHeapForDaemon(): () => void {
  setFlagsFromString('--no-flush-bytecode');
  setFlagsFromString('--no-memory-reducer-for-small-heaps');
  // Node's documented way to reach gc() at run time: the flag applies to contexts created after it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
}
