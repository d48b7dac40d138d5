/** Shared by the collector benches: start a bench server child (with tsx), ask it things, median. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BenchServer {
  child: ChildProcess;
  address: string;
  tokens: Array<{ id: number; token: string }>;
}

/** `db`: "sqlite" (a fresh file) or a postgres:// URL; `nodes` = 0 registers none (a second collector on one DB). */
export function startBenchServer(
  mode: 'collector' | 'noop',
  nodes = 100,
  log = 'off',
  db = 'sqlite',
): Promise<BenchServer> {
  const child = fork(
    fileURLToPath(new URL('./collector-bench-server.ts', import.meta.url)),
    [mode, String(nodes), log, db],
    {
      execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=.tmp/prof'] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.once('message', (m) => resolve({ child, ...(m as { address: string; tokens: BenchServer['tokens'] }) }));
  });
}

export function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

export function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export function strArg(name: string, def: string): string {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? a.slice(name.length + 3) : def;
}

export function arg(name: string, def: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.split('=')[1]) : def;
}
