/**
 * The single executable's agent (scripts/build-agent.mjs bundles it with esbuild as CommonJS and embeds the bundle,
 * which the executable's main script, launch.ts, runs once the V8 flags are set; it is never run from dist/). It
 * swaps in the two things a single executable cannot load the npm way, then starts the usual CLI:
 * - unix-dgram (sd_notify): the bundled library, whose `bindings` lookup esbuild replaces with loadSeaAddon(), which
 *   writes the embedded unix_dgram.node to a private temporary file and process.dlopen()s it;
 * - pino-pretty (a terminal's log): in-process, since pino's transport worker loads its target by path.
 * require() here is esbuild's: it bundles each module and runs it only when called.
 */
import { useUnixDgramLoader, type UnixDgram } from '../../ops/sd-notify.js';
import { usePrettyStream } from '../logger.js';

useUnixDgramLoader(() => require('unix-dgram') as UnixDgram);
usePrettyStream(() => require('pino-pretty')({ destination: 1, sync: true }) as NodeJS.WritableStream);
require('../cli.js');
