/**
 * Starts a real collector binary (node bin/traffic-collector.js serve) for end-to-end tests.
 *
 *   await ensureCollectorBuilt()                     tsc once if dist/collector is missing or older than the sources
 *   const c = await startCollector({ db?, config?, adminToken? })
 *       db: a postgres:// URL, or omitted for a fresh SQLite file in a temp dir
 *   c.url                 http://127.0.0.1:<free port>
 *   c.adminToken          bearer token of the read API
 *   await c.addNode({ name?, rate?, resetDay?, timezone? })  -> { id, token }   (via the CLI: node add)
 *   await c.cli(['node', 'list'])                  -> stdout of any CLI command on the same --db
 *   c.output()            stdout+stderr so far
 *   await c.stop()        SIGTERM, resolves with the exit code (kills after 10 s)
 */
import { freePort } from './free-port.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const COLLECTOR_BIN = join(ROOT, 'bin/traffic-collector.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

export async function ensureCollectorBuilt(): Promise<void> {
  const out = join(ROOT, 'dist/collector/cli.js');
  const sources = Math.max(...['src/collector', 'src/protocol', 'src/common'].map((d) => newestMtime(join(ROOT, d))));
  if (existsSync(out) && statSync(out).mtimeMs >= sources) return;
  const lock = join(ROOT, '.tmp/collector-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (i > 600) throw new Error(`build lock ${lock} held for over 2 minutes`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (existsSync(out) && statSync(out).mtimeMs >= sources) return;
    // Errors elsewhere in the tree (other people's work in progress) do not stop tsc from emitting the collector.
    await run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: ROOT }).catch(() => undefined);
    if (!existsSync(out)) throw new Error('tsc did not produce dist/collector/cli.js');
  } finally {
    rmdirSync(lock);
  }
}

export { freePort };

export interface CollectorProcess {
  url: string;
  port: number;
  db: string;
  dir: string;
  adminToken: string;
  child: ChildProcess;
  output(): string;
  cli(args: string[]): Promise<string>;
  addNode(opts?: {
    name?: string;
    rate?: string;
    resetDay?: number;
    timezone?: string;
  }): Promise<{ id: number; token: string }>;
  /** SIGTERM, then SIGKILL after 10 s; removes the temp dir (and the SQLite file in it) unless keepData. */
  stop(opts?: { keepData?: boolean }): Promise<number | null>;
}

export interface StartOptions {
  /** postgres:// URL; default: a fresh SQLite file in a temp dir. */
  db?: string;
  /** Default: a random one; '' starts without one (the collector generates and stores its own). */
  adminToken?: string;
  /** How the admin token reaches the collector: the environment (default, the documented way), a file, or the flag. */
  adminTokenVia?: 'env' | 'file' | 'flag';
  /** Extra config keys written to the --config file. */
  config?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Listen on this port (a restart on the same URL); default: a free one. */
  port?: number;
  /** 'healthy' (default): wait for /healthz to answer 200; 'answering': any answer (e.g. 503 under back-pressure). */
  waitFor?: 'healthy' | 'answering';
}

export async function startCollector(opts: StartOptions = {}): Promise<CollectorProcess> {
  await ensureCollectorBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tc-proc-'));
  const db = opts.db ?? join(dir, 'collector.db');
  const port = opts.port ?? (await freePort());
  const adminToken = opts.adminToken ?? `admin-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const configFile = join(dir, 'collector.json');
  // Back-pressure off unless asked for (see test/collector/app-helper.ts); test/collector/pre-auth.test.ts covers it.
  writeFileSync(configFile, JSON.stringify({ logLevel: 'warn', maxEventLoopDelayMs: 0, ...opts.config }));
  const base = ['--config', configFile, '--db', db];
  const via = opts.adminTokenVia ?? 'env';
  const tokenFile = join(dir, 'admin-token.secret');
  if (adminToken && via === 'file') writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
  const adminArgs = !adminToken
    ? []
    : via === 'flag'
      ? ['--admin-token', adminToken]
      : via === 'file'
        ? ['--admin-token-file', tokenFile]
        : [];
  const child = spawn(
    process.execPath,
    [COLLECTOR_BIN, 'serve', ...base, '--listen', `127.0.0.1:${port}`, ...adminArgs],
    {
      cwd: dir,
      env: {
        ...process.env,
        TRAFFIC_COLLECTOR_ADMIN_TOKEN: adminToken && via === 'env' ? adminToken : '',
        ...opts.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok || opts.waitFor === 'answering') break;
    } catch {
      /* not yet listening */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector did not become healthy:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const cli = async (args: string[]) =>
    (await run(process.execPath, [COLLECTOR_BIN, ...args, ...base], { cwd: dir })).stdout;
  let unnamed = 0;
  return {
    url,
    port,
    db,
    dir,
    adminToken,
    child,
    output: () => out,
    cli,
    async addNode(o = {}) {
      const args = ['node', 'add', '--name', o.name ?? `node-${++unnamed}`];
      if (o.rate) args.push('--rate', o.rate);
      if (o.resetDay) args.push('--reset-day', String(o.resetDay));
      if (o.timezone) args.push('--timezone', o.timezone);
      return JSON.parse(await cli(args)) as { id: number; token: string };
    },
    async stop(o = {}) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      if (!o.keepData) rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}
