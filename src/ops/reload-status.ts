/**
 * The reload acknowledgement: how `traffic-agent reload --pid` and `traffic-collector reload --pid` (the units'
 * ExecReload) learn that the daemon they signalled has finished reloading, and whether it took the new config.
 *
 * Debian 12 has systemd 252, so no Type=notify-reload (253): `systemctl reload` waits for ExecReload and nothing else,
 * and an ExecReload that only sends SIGHUP returns before the daemon has read its config. So the daemon keeps one
 * small file, $RUNTIME_DIRECTORY/reload-status.json (the units' RuntimeDirectory=, /run/traffic-agent, private to the
 * service's transient user, gone when it stops), and the reload command waits on it:
 *
 *   {"pid":1234,"generation":3,"state":"reloaded","at":"2026-11-30T16:40:00.000Z"}
 *
 * - at start (READY=1) the daemon writes generation 0, state "running";
 * - each reload takes the next generation: "reloading" when it begins (before the config is read), then "reloaded",
 *   or "refused" with `message` (the old config stays in force), written after READY=1 went to systemd;
 * - reloads run one at a time: a SIGHUP during a reload runs one more after it (several coalesce into one), so a
 *   generation greater than the one read before the signal, in a final state, covers a config read after the signal.
 *
 * Without $RUNTIME_DIRECTORY (a daemon started by hand) there is no file and the reload command does not wait.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync } from '../common/atomic-file.js';
import { errorMessage } from '../common/error-message.js';

export const RELOAD_STATUS_FILE = 'reload-status.json';

export type ReloadState = 'running' | 'reloading' | 'reloaded' | 'refused';

export interface ReloadStatus {
  pid: number;
  generation: number;
  state: ReloadState;
  /** Why the new config was refused (state "refused"). */
  message?: string;
  at: string;
}

const STATES: readonly string[] = ['running', 'reloading', 'reloaded', 'refused'];

/** The directory of the status file: the first entry of $RUNTIME_DIRECTORY, or null when systemd gave none. */
export function reloadStatusDir(env: Readonly<Record<string, string | undefined>> = process.env): string | null {
  const dir = env.RUNTIME_DIRECTORY?.split(':')[0];
  return dir ? dir : null;
}

/** The status in `dir`, or null when there is none or it is not one (a reader never throws on its content). */
export function readReloadStatus(dir: string): ReloadStatus | null {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dir, RELOAD_STATUS_FILE), 'utf8'));
  } catch {
    return null;
  }
  if (typeof raw !== 'object' || raw === null) return null;
  const s = raw as Record<string, unknown>;
  if (!Number.isSafeInteger(s.pid) || !Number.isSafeInteger(s.generation) || !STATES.includes(s.state as string))
    return null;
  return {
    pid: s.pid as number,
    generation: s.generation as number,
    state: s.state as ReloadState,
    ...(typeof s.message === 'string' ? { message: s.message } : {}),
    at: typeof s.at === 'string' ? s.at : '',
  };
}

/**
 * Runs the daemon's reloads one at a time and keeps the status file. `reloadOnce` applies the config on disk and
 * resolves with null, or with why it refused it (it sends RELOADING=1 and READY=1 itself); it should not throw, and
 * a throw counts as a refusal.
 */
export class ReloadAcknowledger {
  private generation = 0;
  private running = false;
  private again = false;

  constructor(
    private readonly dir: string | null,
    private readonly reloadOnce: () => Promise<string | null>,
    /** A status file that cannot be written is logged: the reload itself goes on. */
    private readonly onWriteError: (err: Error) => void,
    private readonly pid: number = process.pid,
  ) {}

  /** Generation 0: the daemon is up (called when it sends READY=1). */
  announceRunning(): void {
    this.write(0, 'running');
  }

  /** SIGHUP: a reload now, or one more after the one in progress. */
  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const generation = ++this.generation;
      this.write(generation, 'reloading');
      let refused: string | null;
      try {
        refused = await this.reloadOnce();
      } catch (err) {
        refused = errorMessage(err);
      }
      this.write(generation, refused === null ? 'reloaded' : 'refused', refused ?? undefined);
    } while (this.again);
  }

  private write(generation: number, state: ReloadState, message?: string): void {
    if (this.dir === null) return;
    const status: ReloadStatus = {
      pid: this.pid,
      generation,
      state,
      ...(message === undefined ? {} : { message }),
      at: new Date().toISOString(),
    };
    try {
      replaceFileSync(join(this.dir, RELOAD_STATUS_FILE), `${JSON.stringify(status)}\n`);
    } catch (err) {
      this.onWriteError(err instanceof Error ? err : new Error(errorMessage(err)));
    }
  }
}
