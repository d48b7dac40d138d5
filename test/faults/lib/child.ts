/**
 * A child process we start, SIGKILL and start again, with its output appended to a log file (kept for the report)
 * and the last lines kept in memory (printed on a mismatch). Only ever signals the pid it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';

const TAIL_LINES = 400;

export class Child {
  private proc: ChildProcess | null = null;
  private exitP: Promise<void> = Promise.resolve();
  private tail: string[] = [];
  private partial = '';
  /** Every line since the first start (for counting log events). */
  private all: string[] = [];
  starts = 0;
  kills = 0;

  constructor(
    readonly name: string,
    private readonly argv: () => string[],
    readonly logFile: string,
    private readonly env: NodeJS.ProcessEnv = {},
  ) {}

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | null {
    return this.running ? (this.proc!.pid ?? null) : null;
  }

  private take(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) {
      this.all.push(l);
      this.tail.push(l);
    }
    if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
    appendFileSync(this.logFile, chunk);
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    appendFileSync(this.logFile, `--- ${new Date().toISOString()} start #${this.starts + 1} of ${this.name}\n`);
    const p = spawn(process.execPath, this.argv(), {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = p;
    this.starts++;
    p.stdout!.on('data', (c: Buffer) => this.take(c));
    p.stderr!.on('data', (c: Buffer) => this.take(c));
    this.exitP = new Promise((resolve) => p.once('exit', () => resolve()));
  }

  /** SIGKILL: no shutdown path runs, as in a crash or a power cut. */
  async kill(): Promise<void> {
    if (!this.running) return;
    appendFileSync(this.logFile, `--- ${new Date().toISOString()} SIGKILL ${this.name}\n`);
    this.kills++;
    this.proc!.kill('SIGKILL');
    await this.exitP;
  }

  /** SIGTERM and wait (SIGKILL after `ms`). */
  async stop(ms = 5000): Promise<void> {
    if (!this.running) return;
    this.proc!.kill('SIGTERM');
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), ms);
    await this.exitP;
    clearTimeout(t);
  }

  lines(): readonly string[] {
    return this.all;
  }

  count(match: string | RegExp): number {
    return this.all.filter((l) => (typeof match === 'string' ? l.includes(match) : match.test(l))).length;
  }

  tailText(n = 40): string {
    return this.tail.slice(-n).join('\n');
  }

  async waitFor(match: string | RegExp, ms: number, fromLine = 0): Promise<void> {
    const deadline = Date.now() + ms;
    const hit = () =>
      this.all.slice(fromLine).some((l) => (typeof match === 'string' ? l.includes(match) : match.test(l)));
    while (!hit()) {
      if (!this.running) throw new Error(`${this.name} exited before printing ${String(match)}:\n${this.tailText()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not print ${String(match)} within ${ms} ms:\n${this.tailText()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resident set size in kB from /proc/<pid>/status, or null when not running. */
  rssKb(): number | null {
    const pid = this.pid;
    if (pid === null) return null;
    try {
      const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) : null;
    } catch {
      return null;
    }
  }
}
