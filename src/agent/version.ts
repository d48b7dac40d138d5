import { readFileSync } from 'node:fs';

/** The package's version, read once from package.json two folders above this module (src/agent or dist/agent). */
export const AGENT_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
})();
