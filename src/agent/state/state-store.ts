/**
 * Where the agent's state lives: `<stateDir>/state.json` and its good copy `<stateDir>/state.json.bak`.
 *
 * Every save writes state.json atomically and then state.json.bak atomically, and the caller hands a record to a
 * sink only after save() returned. So the copy is never behind anything a sink has seen: if state.json is found
 * damaged, the copy is a state from which nothing is lost and nothing is counted twice. A damaged file is set aside
 * as state.json.corrupt-<time> (the last few are kept) and never fatal: with no good copy left, the agent takes a
 * new baseline under a new epoch, so it can never reuse a sequence number the collector already holds.
 */
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import type { AgentState } from './agent-state.js';
import { fsyncDir, replaceFileSync } from '../../common/atomic-file.js';
import { decodeState, encodeState } from './state-codec.js';
import { errorCode, errorMessage } from '../../common/error-message.js';

export const STATE_FILE = 'state.json';
export const BACKUP_FILE = 'state.json.bak';
const CORRUPT_KEEP = 5;

export interface LoadedState {
  state: AgentState | null;
  /** Which file the state came from; 'none' on a first run or when nothing usable was left. */
  source: 'primary' | 'backup' | 'none';
  /** Damaged files that were set aside, each with what was wrong. */
  problems: { file: string; movedTo: string; reason: string }[];
}

export class StateStore {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  get primaryPath(): string {
    return join(this.dir, STATE_FILE);
  }

  get backupPath(): string {
    return join(this.dir, BACKUP_FILE);
  }

  private async ensureDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await readdir(this.dir);
    } catch (err) {
      throw new AgentError('STATE_DIR_UNUSABLE', `state directory ${this.dir}: ${errorMessage(err)}`, [], {
        cause: err,
      });
    }
  }

  private async readOne(path: string): Promise<{ state: AgentState } | { missing: true } | { reason: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      const code = errorCode(err);
      if (code === 'ENOENT') return { missing: true };
      if (code === 'EACCES' || code === 'EPERM') {
        throw new AgentError('STATE_DIR_UNUSABLE', `cannot read state file ${path}: ${errorMessage(err)}`, [], {
          cause: err,
        });
      }
      return { reason: errorMessage(err) };
    }
    try {
      return { state: decodeState(text) };
    } catch (err) {
      return { reason: errorMessage(err) };
    }
  }

  private async setAside(path: string, now: number): Promise<string> {
    const movedTo = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    await rename(path, movedTo);
    const names = (await readdir(this.dir)).filter((n) => n.includes('.corrupt-')).sort();
    // Housekeeping only: a copy that cannot be pruned stays one more file, and the next set-aside tries again.
    for (const old of names.slice(0, Math.max(0, names.length - CORRUPT_KEEP)))
      await unlink(join(this.dir, old)).catch(() => undefined);
    return movedTo;
  }

  /** With readOnly (status, sample), nothing is created or moved: damaged files are only reported. */
  async load(now: number, opts: { readOnly?: boolean } = {}): Promise<LoadedState> {
    if (!opts.readOnly) await this.ensureDir();
    const setAside = (path: string) => (opts.readOnly ? Promise.resolve('(left in place)') : this.setAside(path, now));
    const problems: LoadedState['problems'] = [];
    const primary = await this.readOne(this.primaryPath);
    if ('state' in primary) return { state: primary.state, source: 'primary', problems };
    if ('reason' in primary) {
      problems.push({ file: this.primaryPath, movedTo: await setAside(this.primaryPath), reason: primary.reason });
    }
    const backup = await this.readOne(this.backupPath);
    if ('state' in backup) return { state: backup.state, source: 'backup', problems };
    if ('reason' in backup) {
      problems.push({ file: this.backupPath, movedTo: await setAside(this.backupPath), reason: backup.reason });
    }
    return { state: null, source: 'none', problems };
  }

  /** Throws (AgentError STATE_WRITE_FAILED) when the disk refuses; the previous files are then untouched or whole. */
  async save(state: AgentState): Promise<void> {
    const bytes = encodeState(state);
    // state.json first, then its good copy; one directory fsync makes both renames durable before anything is sent.
    const writeBoth = async () => {
      replaceFileSync(this.primaryPath, bytes);
      replaceFileSync(this.backupPath, bytes);
      fsyncDir(this.dir);
    };
    try {
      try {
        await writeBoth();
      } catch (err) {
        // The directory was removed under a running agent: make it again rather than fail every save until a restart.
        if (errorCode(err) !== 'ENOENT') throw err;
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        await writeBoth();
      }
    } catch (err) {
      throw new AgentError('STATE_WRITE_FAILED', `cannot write the state in ${this.dir}: ${errorMessage(err)}`, [], {
        cause: err,
      });
    }
  }
}
