/**
 * One full GC once the daemon runs: it drops the start-up garbage (config schema compile, argument parsing) a single
 * time, and compacts the old space while at it, giving back the pages start-up left fragmented (about 3 MB: V8's
 * memory reducer did that 8 s later, at about 100 ms of CPU, until src/agent/v8-flags.ts turned it off). The
 * daemon's other V8 settings are set when the program starts (v8-flags.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Returns the one GC to run once start-up is over. */
export function startGarbageCollector(): () => void {
  // Node's documented way to reach gc() at run time: the flag applies to contexts created after it.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  return () => {
    setFlagsFromString('--compact-on-every-full-gc');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-compact-on-every-full-gc');
    }
  };
}
