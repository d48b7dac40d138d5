/**
 * Crash-safe replacement of small files: write a temp file, fsync it, rename it over the target; then one fsync of
 * the directory makes the renames themselves survive a power loss. A reader sees each file old or new, never a mix.
 *
 * Synchronous on purpose: the state is a few kilobytes written once per tick, and the synchronous calls cost a
 * fraction of the CPU of their promise versions (bench/agent-tick.ts). Only fsync waits, and the tick awaits the
 * save before anything may be sent anyway.
 */
import { dirname } from 'node:path';
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { errorCode } from './error-message.js';

/** A new file only: never an existing one, never through a symlink (planted by another user, or left by anyone). */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Creates `tmp` exclusively. Whatever already has that name (a temp file left by a crash, or a symlink or file another
 * user planted) is removed first, never written through: unlink removes a link itself, not what it points to.
 */
function createTemp(tmp: string): number {
  try {
    return openSync(tmp, CREATE_NEW, 0o600);
  } catch (err) {
    if (errorCode(err) !== 'EEXIST') throw err;
  }
  unlinkSync(tmp);
  return openSync(tmp, CREATE_NEW, 0o600); // if something took the name again in between, this fails: no write
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` through `path.tmp` (created new with O_EXCL and O_NOFOLLOW, 0600, then given `mode` exactly,
 * whatever the umask); the caller fsyncs the directory once after its last rename.
 */
export function replaceFileSync(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = createTemp(tmp);
    try {
      fchmodSync(fd, mode);
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up: the temp file was never created (or is already gone); the first error is the one to report.
    }
    throw err;
  }
}

/** One file, durably: replace it, then fsync its directory. */
export function writeFileDurably(path: string, data: string, mode = 0o600): void {
  replaceFileSync(path, data, mode);
  fsyncDir(dirname(path));
}
