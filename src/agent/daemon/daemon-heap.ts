/**
 * Full GCs once the daemon runs: they drop the start-up garbage (config schema compile, argument parsing) a single
 * time. Two in a row: the second frees what the first only made unreachable (weak references, finalizers) and
 * compacts the pages the first found fragmented, giving back about 3 MB more; V8's memory reducer did that 8 s after
 * start (at about 100 ms of CPU) until src/agent/v8-flags.ts turned it off. Compacting everything at once
 * (--compact-on-every-full-gc) gave back 1 MB more but raised the peak by 5 MB while it copied. The daemon's other V8
 * settings are set when the program starts (v8-flags.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Returns the GC to run once start-up is over. */
export function startGarbageCollector(): () => void {
  // Node's documented way to reach gc() at run time: the flag applies to contexts created after it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}
