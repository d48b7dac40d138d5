/**
 * One full GC once the daemon runs: it drops the start-up garbage (config schema compile, argument parsing) a single
 * time, instead of carrying it until the old space grows enough for V8 to collect it. The daemon's other V8 settings
 * are set when the program starts (src/agent/v8-flags.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Returns the one GC to run once start-up is over. */
export function startGarbageCollector(): () => void {
  // Node's documented way to reach gc() at run time: the flag applies to contexts created after it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => gc();
}
