/** Runs the built agent binary (bin/traffic-agent.js) as a real process, capturing its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const AGENT_BIN = fileURLToPath(new URL('../../bin/traffic-agent.js', import.meta.url));

export interface RunningAgent {
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code (or the signal name) once the process ended. */
  exited: Promise<number | string>;
  /** Waits until the output contains `text` (or matches), or throws after `ms`. */
  waitFor: (match: string | RegExp, ms?: number) => Promise<void>;
}

export interface StartOptions {
  /** Run this program (e.g. the single executable) with `args` alone, instead of node bin/traffic-agent.js. */
  executable?: string;
  cwd?: string;
  /** Start from an empty environment (`env -i`) instead of this process's. */
  cleanEnv?: boolean;
}

export function startAgent(args: string[], env: NodeJS.ProcessEnv = {}, opts: StartOptions = {}): RunningAgent {
  const [command, argv] =
    opts.executable === undefined ? [process.execPath, [AGENT_BIN, ...args]] : [opts.executable, args];
  const child = spawn(command, argv, {
    env: opts.cleanEnv ? env : { ...process.env, ...env },
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const waitFor = async (match: string | RegExp, ms = 15_000) => {
    const deadline = Date.now() + ms;
    const hit = () => (typeof match === 'string' ? out.includes(match) : match.test(out));
    while (!hit()) {
      if (Date.now() > deadline)
        throw new Error(`agent output never showed ${String(match)} within ${ms} ms; output:\n${out.slice(-3000)}`);
      if (child.exitCode !== null)
        throw new Error(
          `agent exited (${child.exitCode}) before showing ${String(match)}; output:\n${out.slice(-3000)}`,
        );
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, output: () => out, exited, waitFor };
}

/** Runs the agent to completion. */
export async function runAgent(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  opts: StartOptions = {},
): Promise<{ code: number | string; output: string }> {
  const a = startAgent(args, env, opts);
  const code = await a.exited;
  return { code, output: a.output() };
}

/**
 * Writes `dir/agent.json` for a registered node delivering to a collector, its state in `dir/state`, reading
 * `procRoot`; `extra` adds keys (interval, interface filter…). Returns the file's path.
 */
export function writeNodeAgentConfig(
  dir: string,
  node: { id: number; token: string },
  collectorUrl: string,
  procRoot: string,
  extra: Record<string, unknown> = {},
): string {
  const cfg = join(dir, 'agent.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { id: node.id, token: node.token },
      collector: { url: collectorUrl, timeoutMs: 2000 },
      stateDir: join(dir, 'state'),
      procRoot,
      ...extra,
    }),
  );
  return cfg;
}
