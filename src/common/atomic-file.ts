/**
 * Crash-safe replacement of small files: write a temp file, fsync it, rename it over the target; then one fsync of
 * the directory makes the renames themselves survive a power loss. A reader sees each file old or new, never a mix.
 *
 * Synchronous on purpose: the state is a few kilobytes written once per tick, and the synchronous calls cost a
 * fraction of the CPU of their promise versions (bench/agent-tick.ts). Only fsync waits, and the tick awaits the
 * save before anything may be sent anyway.
 */
import { dirname } from 'node:path';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `data` to `path` through `path.tmp` (created 0600, then given `mode` exactly, whatever the umask); the caller
 * fsyncs the directory once after its last rename.
 */
export function replaceFileSync(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
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
      /* the temp file may not exist */
    }
    throw err;
  }
}

/** One file, durably: replace it, then fsync its directory. */
export function writeFileDurably(path: string, data: string, mode = 0o600): void {
  replaceFileSync(path, data, mode);
  fsyncDir(dirname(path));
}
