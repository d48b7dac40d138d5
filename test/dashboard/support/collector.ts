/**
 * The real collector binary for the dashboard tests: built (tsc output + dashboard bundle), started as a process on
 * 127.0.0.1 with a throwaway SQLite file and a config file, stopped with SIGTERM.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';

export const REPO = new URL('../../../', import.meta.url).pathname;
const BIN = join(REPO, 'bin/traffic-collector.js');

/** tsc output must exist (npm test's setup builds it); the dashboard bundle is rebuilt here, it takes well under a second. */
export function ensureBuilt(): void {
  if (!existsSync(join(REPO, 'dist/collector/cli.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: REPO, stdio: 'inherit' });
  execFileSync(process.execPath, [join(REPO, 'scripts/build-dashboard.mjs')], { cwd: REPO, stdio: 'pipe' });
}

export interface CollectorProcess {
  url: string;
  dir: string;
  db: string;
  adminToken: string;
  stop(): Promise<void>;
}

export function tempDir(prefix = 'dashboard-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function cli(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8' });
}

/** `node add` through the CLI; returns the id and the token it printed. */
export function addNodeCli(db: string, name: string): { id: number; token: string } {
  return JSON.parse(cli(['node', 'add', '--name', name, '--db', db])) as { id: number; token: string };
}

export async function startCollector(opts: { dir: string; db: string; adminToken: string; config?: Record<string, unknown> }): Promise<CollectorProcess> {
  const port = await freePort();
  const cfgFile = join(opts.dir, 'collector.json');
  writeFileSync(cfgFile, JSON.stringify({ logLevel: 'warn', ...opts.config }));
  const child: ChildProcess = spawn(process.execPath, [
    BIN, 'serve', '--listen', `127.0.0.1:${port}`, '--db', opts.db, '--admin-token', opts.adminToken, '--config', cfgFile,
  ], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`collector did not start within 15 s:\n${stderr}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`collector exited with ${code} before listening:\n${stderr}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    dir: opts.dir,
    db: opts.db,
    adminToken: opts.adminToken,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
