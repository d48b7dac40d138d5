/**
 * A /proc tree, the real one or a fixture (`procRoot`): the one place where a reader's file read becomes the agent's
 * coded error. Readers stay `read…(procRoot)` over a pure `parse…(text)`; with this they are one line each.
 */
import { readFileSync } from 'node:fs';
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

export function procfs(root: string): Procfs {
  const path = (...parts: string[]) => join(root, ...parts);
  const read = (file: string, missingIsNull: boolean): string | null => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      if (missingIsNull && errorCode(err) === 'ENOENT') return null;
      throw new AgentError('PROC_UNREADABLE', `cannot read ${file}: ${errorMessage(err)}`, [], { cause: err });
    }
  };
  return {
    root,
    path,
    readFile: (...parts) => read(path(...parts), false) as string,
    readOptional: (...parts) => read(path(...parts), true),
  };
}
