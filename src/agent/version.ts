import { readFileSync } from 'node:fs';

/** Set by scripts/build-agent.mjs (esbuild `define`) in the single executable, which has no package.json beside it. */
declare const __TRAFFIC_AGENT_VERSION__: string | undefined;

/** The package's version, read once from package.json two folders above this module (src/agent or dist/agent). */
export const AGENT_VERSION: string = (() => {
  if (typeof __TRAFFIC_AGENT_VERSION__ === 'string') return __TRAFFIC_AGENT_VERSION__;
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    // Only a label in heartbeats and --version; a single-executable build without package.json beside it has none.
    return '0.0.0';
  }
})();
