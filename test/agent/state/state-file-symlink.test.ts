/**
 * State files are never written through anything planted at their names (issue 10, item 7). Saves overwrite
 * state.json and state.json.bak in place; only a regular file of the agent's own user with no other link is
 * overwritten. A symlink, a hard link to another file, or another user's file at either name is removed (unlinking a
 * link removes the link, never its target) and a new file is created exclusively (O_EXCL | O_NOFOLLOW, 0600).
 * replaceFileSync (temp file and rename, used for other files) never reuses a leftover temp file either.
 */
import {
  chownSync,
  closeSync,
  fstatSync,
  linkSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { oneInterfaceState } from './one-interface-state.js';
import { StateStore } from '../../../src/agent/state/state-store.js';
import { replaceFileSync } from '../../../src/common/atomic-file.js';

const state = oneInterfaceState();

describe('state files and planted names', () => {
  let parent: string;
  let victim: string;
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'state-symlink-'));
    victim = join(parent, 'victim.conf');
    writeFileSync(victim, 'root-owned content\n');
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  const planted: [string, (victim: string, at: string) => void][] = [
    ['a symlink', (victim, at) => symlinkSync(victim, at)],
    ['a hard link', (victim, at) => linkSync(victim, at)],
  ];
  for (const [what, plant] of planted) {
    it(`${what} planted at state.json and state.json.bak does not redirect the save`, async () => {
      const store = new StateStore(join(parent, 'state'));
      await store.load(Date.now());
      plant(victim, store.primaryPath);
      plant(victim, store.backupPath);
      await store.save(state);
      expect(readFileSync(victim, 'utf8')).toBe('root-owned content\n');
      for (const path of [store.primaryPath, store.backupPath]) {
        expect(lstatSync(path).isSymbolicLink()).toBe(false);
        expect(statSync(path).nlink).toBe(1);
        expect(statSync(path).mode & 0o777).toBe(0o600);
      }
      const loaded = await store.load(Date.now());
      expect(loaded.source).toBe('primary');
      expect(loaded.state?.epoch).toBe(state.epoch);
    });
  }

  it("another user's file at state.json is replaced by a new one of ours, not written into", async () => {
    const store = new StateStore(join(parent, 'state'));
    await store.load(Date.now());
    await store.save(state);
    const theirs = store.primaryPath;
    chownSync(theirs, 65534, 65534); // as root (these tests run as root); as another user this is what they could plant
    const before = readFileSync(theirs);
    const held = openSync(theirs, 'r'); // keeps their inode (and its bytes) to look at after the save
    try {
      await store.save({ ...state, nextSeq: 9 });
      expect(fstatSync(held).uid).toBe(65534);
      expect(readFileSync(held)).toEqual(before);
      expect(fstatSync(held).nlink).toBe(0); // removed from the directory
    } finally {
      closeSync(held);
    }
    expect(statSync(theirs).uid).toBe(process.geteuid?.());
    expect((await store.load(Date.now())).state?.nextSeq).toBe(9);
  });

  // Whatever happens to a name between two saves of one running store, the next save goes to the name, never to the
  // file it held before (each save opens the name again; a descriptor kept open would also block a read-only remount),
  // nor through anything planted.
  const between: [string, (path: string) => void][] = [
    ['replaced by a symlink', (path) => (rmSync(path), symlinkSync(victim, path))],
    ['replaced by a hard link to another file', (path) => (rmSync(path), linkSync(victim, path))],
    ['given a second name (a hard link to it elsewhere)', (path) => linkSync(path, `${path}.second-name`)],
    ['removed', (path) => rmSync(path)],
    ['grown with garbage at its end', (path) => writeFileSync(path, 'garbage'.repeat(200), { flag: 'a' })],
    ['cut to a few bytes', (path) => writeFileSync(path, '{"sha')],
  ];
  for (const [what, tamper] of between) {
    it(`a state file ${what} between two saves: the next save lands at the name, whole`, async () => {
      const store = new StateStore(join(parent, 'state'));
      await store.load(Date.now());
      await store.save(state);
      const held = [store.primaryPath, store.backupPath].map((p) => lstatSync(p).ino);
      for (const path of [store.primaryPath, store.backupPath]) tamper(path);
      await store.save({ ...state, nextSeq: 11 });
      expect(readFileSync(victim, 'utf8')).toBe('root-owned content\n');
      for (const path of [store.primaryPath, store.backupPath]) {
        expect(lstatSync(path).isFile()).toBe(true);
        expect(statSync(path).nlink).toBe(1);
        expect(statSync(path).size % 512).toBe(0);
      }
      if (what.startsWith('given a second name')) {
        // The other names keep the first save's bytes: the new save did not write through them.
        for (const path of [store.primaryPath, store.backupPath])
          expect(readFileSync(`${path}.second-name`, 'utf8')).toContain(`"nextSeq":${state.nextSeq},`);
        expect(lstatSync(store.primaryPath).ino).not.toBe(held[0]);
        expect(lstatSync(store.backupPath).ino).not.toBe(held[1]);
      }
      const fresh = new StateStore(join(parent, 'state'));
      const loaded = await fresh.load(Date.now());
      expect(loaded.problems).toEqual([]);
      expect(loaded.source).toBe('primary');
      expect(loaded.state?.nextSeq).toBe(11);
      expect(readFileSync(store.backupPath, 'utf8')).toBe(readFileSync(store.primaryPath, 'utf8'));
    });
  }

  it('a leftover temp file (a crash mid-write) is replaced, never appended to or reused', () => {
    const target = join(parent, 'file.json');
    writeFileSync(`${target}.tmp`, 'x'.repeat(1000)); // longer than what is written next
    replaceFileSync(target, '{"ok":true}');
    expect(readFileSync(target, 'utf8')).toBe('{"ok":true}');
  });
});
