/**
 * Drives the real agent binary (node bin/traffic-agent.js) for the end-to-end tests: builds dist/ once per test
 * run, writes configs, runs one-shot commands and starts the daemon, capturing everything it prints.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeState } from '../../../src/agent/state/state-codec.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const AGENT_BIN = join(REPO, 'bin', 'traffic-agent.js');
export const TOKEN = 'tok-3f9c1d-never-log-me';

/** Only agent code may fail to compile this build: errors elsewhere (work in progress of others) are not ours. */
const OURS = /^(src\/(agent|protocol|common|ops)\/)/;

/**
 * Runs `tsc -p tsconfig.json` once per vitest run (test files run in parallel forks that share a parent): the first
 * fork builds under a lock directory, the others wait for its stamp.
 */
export function ensureBuilt(): void {
  const key = `${process.env.VITEST_POOL_ID ? process.ppid : process.pid}`;
  const stamp = join(tmpdir(), `traffic-agent-test-build-${key}.done`);
  const lock = join(tmpdir(), `traffic-agent-test-build-${key}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      statSync(stamp);
      const msg = readFileSync(stamp, 'utf8');
      if (msg !== 'ok') throw new Error(`the build failed:\n${msg}`);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error('timed out waiting for another fork to build');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      continue;
    }
    try {
      const r = spawnSync(
        process.execPath,
        [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
        { cwd: REPO, encoding: 'utf8' },
      );
      const errors = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /error TS/.test(l));
      const ours = errors.filter((l) => OURS.test(l));
      writeFileSync(stamp, ours.length === 0 && r.error === undefined ? 'ok' : ours.join('\n') || String(r.error));
    } finally {
      rmdirSync(lock);
    }
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of an agent under test: no token or state directory leaks in from the caller's. */
export function agentEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of [
    'TRAFFIC_AGENT_TOKEN',
    'CREDENTIALS_DIRECTORY',
    'STATE_DIRECTORY',
    'NOTIFY_SOCKET',
    'WATCHDOG_USEC',
    'WATCHDOG_PID',
  ])
    delete env[k];
  return env;
}

export function runAgent(args: readonly string[], timeoutMs = 20_000): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], {
      cwd: REPO,
      env: agentEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`traffic-agent ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

export interface Daemon {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `env` is added to the cleaned environment (NOTIFY_SOCKET for a test that listens like systemd). */
export function startDaemon(configFile: string, env: NodeJS.ProcessEnv = {}): Daemon {
  const child = spawn(process.execPath, [AGENT_BIN, 'run', '-c', configFile], {
    cwd: REPO,
    env: { ...agentEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('close', (code, signal) => r({ code, signal })),
  );
  return { child, output: () => out, exited };
}

export interface ConfigOptions {
  url: string;
  stateDir: string;
  procRoot: string;
  heartbeatIntervalSec?: number;
  counterBits?: 'auto' | 32 | 64;
  maxRateBitsPerSec?: number;
  include?: string[];
  exclude?: string[];
  timeoutMs?: number;
  extra?: Record<string, unknown>;
}

export function configObject(o: ConfigOptions): Record<string, unknown> {
  return {
    node: { id: 1, token: TOKEN },
    collector: { url: o.url, timeoutMs: o.timeoutMs ?? 2000, batchSize: 500 },
    stateDir: o.stateDir,
    procRoot: o.procRoot,
    interfaces: { ...(o.include ? { include: o.include } : {}), ...(o.exclude ? { exclude: o.exclude } : {}) },
    heartbeatIntervalSec: o.heartbeatIntervalSec ?? 60,
    counterBits: o.counterBits ?? 64,
    ...(o.maxRateBitsPerSec ? { maxRateBitsPerSec: o.maxRateBitsPerSec } : {}),
    shutdownDeadlineMs: 3000,
    log: { level: 'info' },
    ...o.extra,
  };
}

export async function writeConfig(path: string, o: ConfigOptions): Promise<string> {
  await writeFile(path, `${JSON.stringify(configObject(o), null, 2)}\n`);
  return path;
}

export async function makeTempDir(prefix = 'ta-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** The agent's saved state (state.json), or null when it is missing or unreadable right now. */
export async function readSavedState(stateDir: string): Promise<AgentState | null> {
  try {
    return decodeState(await readFile(join(stateDir, 'state.json'), 'utf8'));
  } catch {
    return null;
  }
}

export interface StatusJson {
  source: string;
  problems: string[];
  epoch: string | null;
  totals: { rx: string; tx: string };
  period: { rx: string; tx: string; start: string | null };
  pending: number;
  detected: Record<string, number> | null;
}

export async function statusJson(configFile: string): Promise<StatusJson> {
  const r = await runAgent(['status', '--json', '-c', configFile]);
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusJson;
}

/** The log lines (pino JSON) of an output, parsed; other lines are skipped. */
export function logLines(output: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not a log line */
    }
  }
  return out;
}
