/**
 * The single executable's main script (scripts/build-agent.mjs bundles it apart from the agent): it sets the daemon's
 * V8 flags, then compiles and runs the agent's bundle (entry.ts, embedded as the SEA asset traffic-agent.cjs).
 *
 * Two steps, because the flags must be set before the 1.5 MB bundle is compiled. Compiling it grows V8's old
 * generation by more than 1 MB, and V8 arms its memory reducer on that growth unless
 * --no-memory-reducer-for-small-heaps is already set. Armed, the reducer wakes every 8 s to start a GC; with
 * incremental marking off (v8-flags.ts) it can never start one, so it kept waking the idle daemon every 8 s for the
 * life of the process: about 1 ms of CPU a minute, a fifth of a tick's CPU at the default 60 s interval.
 * Measured with `npm run bench:footprint` (docs/benchmarks.md).
 */
import '../v8-flags.js'; // first: the only code before it is this small script's
import { getAsset } from 'node:sea';
import { dirname } from 'node:path';
import { compileFunction, constants } from 'node:vm';
import { SEA_ASSETS } from './sea-assets.js';

// The bundle is CommonJS: it runs in the wrapper Node gives every CommonJS module (`this` is module.exports, as Node's
// own single-executable runner does), with this script's require() (a single executable's: Node's built-in modules
// only, which is all the bundle asks for), and import() resolved as in the main script.
const bundle = compileFunction(
  getAsset(SEA_ASSETS.agentBundle, 'utf8'),
  ['exports', 'require', 'module', '__filename', '__dirname'],
  { filename: SEA_ASSETS.agentBundle, importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER },
);
bundle.call(module.exports, module.exports, require, module, process.execPath, dirname(process.execPath));
