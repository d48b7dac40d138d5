/**
 * A temp state file never follows a symlink or reuses an existing file (issue 10, item 7): with another user's
 * `state.json.tmp` symlink planted in the state directory, a save used to write through it and overwrite the file it
 * pointed to. Now the link itself is removed and the temp file is created new (O_EXCL | O_NOFOLLOW).
 */
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { baselineState } from '../../../src/agent/accounting/account-tick.js';
import { StateStore } from '../../../src/agent/state/state-store.js';
import { replaceFileSync } from '../../../src/common/atomic-file.js';

const state = baselineState(
  {
    at: Date.now(),
    uptimeSec: 10,
    boot: { bootId: null, btime: 1 },
    interfaces: new Map([['eth0', { rxBytes: 5n, txBytes: 6n }]]),
  },
  '0123456789abcdef',
  { isSelected: () => true, bits: 64, maxBytesPerSec: 1n, resetDay: 1, timeZone: 'UTC', userIdOf: () => null },
);

describe('temp state files', () => {
  let parent: string;
  let victim: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'state-symlink-'));
    victim = join(parent, 'victim.conf');
    writeFileSync(victim, 'root-owned content\n');
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('a planted symlink at the temp name does not redirect the save', async () => {
    const store = new StateStore(join(parent, 'state'));
    await store.load(Date.now());
    symlinkSync(victim, join(store.dir, 'state.json.tmp'));
    symlinkSync(victim, join(store.dir, 'state.json.bak.tmp'));
    await store.save(state);
    expect(readFileSync(victim, 'utf8')).toBe('root-owned content\n');
    const loaded = await store.load(Date.now());
    expect(loaded.source).toBe('primary');
    expect(loaded.state?.epoch).toBe(state.epoch);
    expect(lstatSync(store.primaryPath).isSymbolicLink()).toBe(false);
  });

  it('a leftover temp file (a crash mid-write) is replaced, never appended to or reused', () => {
    const target = join(parent, 'file.json');
    writeFileSync(`${target}.tmp`, 'x'.repeat(1000)); // longer than what is written next
    replaceFileSync(target, '{"ok":true}');
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
  });
});
