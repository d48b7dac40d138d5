/**
 * A FIFO planted at a state file's name: opening it for writing would block the agent until a reader came (the event
 * loop frozen, no error). The in-place writer opens with O_NONBLOCK, takes the ENXIO as "not ours", removes the FIFO
 * and creates a regular file, as it does for a planted symlink.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { overwriteInPlaceSync } from '../../src/common/in-place-file.js';

const dir = mkdtempSync(join(tmpdir(), 'in-place-fifo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('overwriteInPlaceSync on a FIFO', () => {
  it('replaces it with a regular file instead of blocking', () => {
    const path = join(dir, 'state.json');
    execFileSync('mkfifo', [path]);
    expect(statSync(path).isFIFO()).toBe(true);
    const r = overwriteInPlaceSync(path, Buffer.from('{"a":1}\n'), 8);
    expect(r.created).toBe(true);
    expect(statSync(path).isFile()).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n');
  });
});
