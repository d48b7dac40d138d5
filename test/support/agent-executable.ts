/**
 * The agent's single executable and .deb (npm run build:agent), built once per change for the tests that need them:
 *   const { binary, deb, version } = await ensureAgentExecutable()
 * Rebuilt when anything the executable is made of is newer than it (src/agent, src/ops, src/common, src/protocol,
 * systemd/, debian/, docs/, the build scripts, package.json); a lock keeps parallel test files from building twice.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './collector-process.js';

const run = promisify(execFile);
export const BUILD_DIR = join(ROOT, 'build/agent');
export const VERSION: string = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, e)));
  return newest;
}

const INPUTS = [
  'src/agent',
  'src/ops',
  'src/common',
  'src/protocol',
  'systemd',
  'debian',
  'docs',
  'scripts/build-agent.mjs',
  'scripts/build-deb.mjs',
  'package.json',
  'config.example.json',
];

export interface AgentExecutable {
  binary: string;
  deb: string;
  version: string;
}

export async function ensureAgentExecutable(): Promise<AgentExecutable> {
  const binary = join(BUILD_DIR, 'traffic-agent');
  const deb = join(BUILD_DIR, `traffic-agent_${VERSION}_amd64.deb`);
  const fresh = () => {
    if (!existsSync(binary) || !existsSync(deb)) return false;
    const sources = Math.max(...INPUTS.map((p) => newestMtime(join(ROOT, p))));
    return Math.min(statSync(binary).mtimeMs, statSync(deb).mtimeMs) >= sources;
  };
  if (!fresh()) {
    const lock = join(ROOT, '.tmp/agent-executable-build.lock');
    mkdirSync(join(ROOT, '.tmp'), { recursive: true });
    for (let i = 0; ; i++) {
      try {
        mkdirSync(lock);
        break;
      } catch {
        if (i > 3000)
          throw new Error(`build lock ${lock} held for over 10 minutes (a killed run may have left it: rmdir it)`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    try {
      if (!fresh()) await run(process.execPath, [join(ROOT, 'scripts/build-agent.mjs')], { cwd: ROOT });
    } finally {
      rmdirSync(lock);
    }
  }
  return { binary, deb, version: VERSION };
}
