/**
 * A /proc tree, the real one or a fixture (`procRoot`): the one place where a reader's file read becomes the agent's
 * coded error. Readers stay `read…(procRoot)` over a pure `parse…(text)`; with this they are one line each.
 *
 * Read every tick, so read lean: open, read into one reused buffer until end of file, close (readFileSync adds an
 * fstat, a new buffer and its options handling to each of the five files a tick reads), and each path joined once.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../../common/error-message.js';
import { AgentError } from '../errors.js';

export interface Procfs {
  readonly root: string;
  path(...parts: string[]): string;
  /** The file's text, or PROC_UNREADABLE naming the file. */
  readFile(...parts: string[]): string;
  /** The file's text, or null when it does not exist (kernels and fixture trees may lack it); PROC_UNREADABLE else. */
  readOptional(...parts: string[]): string | null;
}

let buffer = Buffer.allocUnsafe(16 * 1024);

/** The whole file as text. /proc files have no size to ask for: read until a read returns nothing. */
function readWhole(file: string): string {
  const fd = openSync(file, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) return buffer.toString('utf8', 0, length);
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

const trees = new Map<string, Procfs>();

export function procfs(root: string): Procfs {
  const known = trees.get(root);
  if (known) return known;
  const paths = new Map<string, string>();
  const path = (...parts: string[]) => {
    const key = parts.join('/');
    let p = paths.get(key);
    if (p === undefined) {
      p = join(root, ...parts);
      paths.set(key, p);
    }
    return p;
  };
  const read = (file: string, missingIsNull: boolean): string | null => {
    try {
      return readWhole(file);
    } catch (err) {
      if (missingIsNull && errorCode(err) === 'ENOENT') return null;
      throw new AgentError('PROC_UNREADABLE', `cannot read ${file}: ${errorMessage(err)}`, [], { cause: err });
    }
  };
  const tree: Procfs = {
    root,
    path,
    readFile: (...parts) => read(path(...parts), false) as string,
    readOptional: (...parts) => read(path(...parts), true),
  };
  if (trees.size >= 16) trees.clear(); // one root in a daemon; tests go through many fixture trees
  trees.set(root, tree);
  return tree;
}
