/**
 * Where the agent's state lives: `<stateDir>/state.json` and its good copy `<stateDir>/state.json.bak`, the same bytes.
 *
 * A save overwrites the two files in place, one after the other, each made durable (fdatasync) before the next is
 * touched: a crash can tear at most the one being written, and the other then holds either the last completed save or
 * the one in progress, never anything older. The caller hands a record to a sink only after save() returned, so the
 * intact file is never behind anything a sink has seen. The file written first is the one that does not hold the
 * last completed save (state.json, unless load() found the good copy damaged or behind), so the file left alone
 * during a write is always whole. In-place writes cost a fraction of a temp file, fsync and rename each (no inode
 * created or released, no directory entry changed, no directory fsync except when a file had to be created); the
 * files are padded with spaces to a multiple of PAD bytes so their size, metadata an fdatasync must also write,
 * seldom changes. The format is unchanged (state-codec.ts; its reader ignores trailing whitespace), so a state written
 * by an older agent (temp file and rename) loads as it is.
 *
 * A damaged state.json is set aside as state.json.corrupt-<time> (the last few are kept) and never fatal: the good
 * copy takes over, and with no good copy left the agent takes a new baseline under a new epoch, so it can never reuse
 * a sequence number the collector already holds.
 */
import { mkdir, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../errors.js';
import type { AgentState } from './agent-state.js';
import { fsyncDir } from '../../common/atomic-file.js';
import { overwriteInPlaceSync } from '../../common/in-place-file.js';
import { decodeState, encodeState } from './state-codec.js';
import { errorCode, errorMessage } from '../../common/error-message.js';

export const STATE_FILE = 'state.json';
export const BACKUP_FILE = 'state.json.bak';
const CORRUPT_KEEP = 5;
/** File sizes are rounded up to a multiple of this (with spaces before the final newline). */
export const PAD = 512;
const SPACE = 0x20;
const NEWLINE = 0x0a;

export interface LoadedState {
  state: AgentState | null;
  /** Which file the state came from; 'none' on a first run or when nothing usable was left. */
  source: 'primary' | 'backup' | 'none';
  /** Damaged files that were set aside, each with what was wrong. */
  problems: { file: string; movedTo: string; reason: string }[];
}

type Which = 'primary' | 'backup';

export class StateStore {
  readonly dir: string;
  readonly primaryPath: string;
  readonly backupPath: string;
  /** The file that may not hold the last saved (or loaded) state: written first by the next save. */
  private stale: Which = 'primary';
  /** The encoded state, reused from save to save. */
  private buf = Buffer.allocUnsafe(4 * PAD);

  constructor(dir: string) {
    this.dir = dir;
    this.primaryPath = join(dir, STATE_FILE);
    this.backupPath = join(dir, BACKUP_FILE);
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

  private async readOne(
    path: string,
  ): Promise<{ state: AgentState; text: string } | { missing: true } | { reason: string }> {
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
      return { state: decodeState(text), text };
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
    if ('state' in primary) {
      // A good copy that is missing, damaged or behind (a crash between the two writes) is rewritten first next time.
      const backupText = await readFile(this.backupPath, 'utf8').catch(() => null);
      this.stale = backupText === primary.text ? 'primary' : 'backup';
      return { state: primary.state, source: 'primary', problems };
    }
    this.stale = 'primary';
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

  /** The state's bytes in this.buf, padded to a multiple of PAD; returns their length. */
  private encode(state: AgentState): number {
    const text = encodeState(state); // ends with "}\n"
    const length = Math.ceil(Buffer.byteLength(text, 'utf8') / PAD) * PAD;
    // Grown for a long outbox, given back once it drained.
    if (this.buf.length < length || this.buf.length > Math.max(4 * PAD, length * 4))
      this.buf = Buffer.allocUnsafe(length * 2);
    const written = this.buf.write(text, 0, 'utf8');
    this.buf.fill(SPACE, written - 1, length - 1);
    this.buf[length - 1] = NEWLINE;
    return length;
  }

  /**
   * Throws (AgentError STATE_WRITE_FAILED) when the disk refuses; one of the two files is then still whole and holds
   * the last completed save or this one.
   */
  async save(state: AgentState): Promise<void> {
    const length = this.encode(state);
    const order: Which[] = this.stale === 'backup' ? ['backup', 'primary'] : ['primary', 'backup'];
    const writeBoth = () => {
      for (const which of order) {
        // Until this write is durable, this file may be torn: it is the one to write first if this save fails.
        this.stale = which;
        // A file made new (first run, set aside, removed) survives a power loss once its directory is synced too,
        // before the other file is touched.
        if (overwriteInPlaceSync(this.pathOf(which), this.buf, length).created) fsyncDir(this.dir);
      }
      this.stale = 'primary'; // both hold this save now: the usual order next time
    };
    try {
      try {
        writeBoth();
      } catch (err) {
        // The directory was removed under a running agent: make it again rather than fail every save until a restart.
        if (errorCode(err) !== 'ENOENT') throw err;
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        writeBoth();
      }
    } catch (err) {
      throw new AgentError('STATE_WRITE_FAILED', `cannot write the state in ${this.dir}: ${errorMessage(err)}`, [], {
        cause: err,
      });
    }
  }

  private pathOf(which: Which): string {
    return which === 'primary' ? this.primaryPath : this.backupPath;
  }
}
