/**
 * The crash-safety order of a state save, watched on the real file-system calls. The two files are overwritten in
 * place one after the other, each made durable (fdatasync) before the other is touched, so a crash can tear at most
 * the one being written; a file that had to be created is followed by an fsync of its directory before the other is
 * touched; all of it before save() resolves (and so before anything is sent). The file written first is the one that
 * may not hold the last completed save: state.json, unless a load found the good copy damaged or behind, or the last
 * save failed part way. Removing or reordering any of these syncs fails here.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

const events: string[] = [];
const fdPaths = new Map<number, string>();
/** A file name whose next fdatasync fails (EIO), as a disk refusing the write. */
let failSyncOf: string | null = null;

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const name = (p: unknown) => basename(String(p));
  return {
    ...fs,
    openSync: (...a: Parameters<typeof fs.openSync>) => {
      const fd = fs.openSync(...a);
      fdPaths.set(fd, name(a[0]));
      if (typeof a[1] === 'number' && a[1] & fs.constants.O_CREAT) events.push(`create ${name(a[0])}`);
      return fd;
    },
    writeSync: (...a: Parameters<typeof fs.writeSync>) => {
      const n = fs.writeSync(...a);
      events.push(`write ${fdPaths.get(a[0])}`);
      return n;
    },
    renameSync: (from: import('node:fs').PathLike, to: import('node:fs').PathLike) => {
      fs.renameSync(from, to);
      events.push(`rename ${name(from)} -> ${name(to)}`);
    },
    fdatasyncSync: (fd: number) => {
      if (failSyncOf === fdPaths.get(fd)) {
        failSyncOf = null;
        throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
      }
      fs.fdatasyncSync(fd);
      events.push(`fdatasync ${fdPaths.get(fd)}`);
    },
    fsyncSync: (fd: number) => {
      fs.fsyncSync(fd);
      events.push(`fsync ${fdPaths.get(fd)}`);
    },
  };
});

const { oneInterfaceState } = await import('./one-interface-state.js');
const { StateStore } = await import('../../../src/agent/state/state-store.js');

const parent = mkdtempSync(join(tmpdir(), 'state-order-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const state = oneInterfaceState();

const inPlace = (first: string, second: string) => [
  `write ${first}`,
  `fdatasync ${first}`,
  `write ${second}`,
  `fdatasync ${second}`,
  'resolved',
];

async function saved(store: InstanceType<typeof StateStore>, nextSeq: number): Promise<string[]> {
  events.length = 0;
  await store.save({ ...state, nextSeq });
  events.push('resolved');
  return [...events];
}

describe('StateStore.save', () => {
  let dir: string;
  let n = 0;
  beforeEach(() => {
    dir = join(parent, `state-${++n}`);
    failSyncOf = null;
  });

  it('first save: each file is created, synced, and its directory synced before the other file is touched', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    expect(await saved(store, 2)).toEqual([
      'create state.json',
      'write state.json',
      'fdatasync state.json',
      `fsync ${basename(dir)}`,
      'create state.json.bak',
      'write state.json.bak',
      'fdatasync state.json.bak',
      `fsync ${basename(dir)}`,
      'resolved',
    ]);
  });

  it('then: state.json in place and synced, then its good copy in place and synced; no rename, no directory sync', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    await saved(store, 2);
    expect(await saved(store, 3)).toEqual(inPlace('state.json', 'state.json.bak'));
    // a new process finds both files equal: the usual order
    const next = new StateStore(dir);
    expect((await next.load(Date.now())).state?.nextSeq).toBe(3);
    expect(await saved(next, 4)).toEqual(inPlace('state.json', 'state.json.bak'));
  });

  it('a good copy found damaged or behind at load is written first, while state.json stays whole', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    await saved(store, 2);
    writeFileSync(join(dir, 'state.json.bak'), '{"sha256":"torn');
    const next = new StateStore(dir);
    expect((await next.load(Date.now())).source).toBe('primary');
    expect(await saved(next, 3)).toEqual(inPlace('state.json.bak', 'state.json'));
    expect(await saved(next, 4)).toEqual(inPlace('state.json', 'state.json.bak'));
  });

  it('after a save that failed part way, the file it may have torn is written first', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    await saved(store, 2);
    failSyncOf = 'state.json.bak';
    await expect(store.save({ ...state, nextSeq: 3 })).rejects.toThrow(/STATE_WRITE_FAILED|EIO/);
    expect(await saved(store, 4)).toEqual(inPlace('state.json.bak', 'state.json'));
    failSyncOf = 'state.json';
    await expect(store.save({ ...state, nextSeq: 5 })).rejects.toThrow(/EIO/);
    expect(await saved(store, 6)).toEqual(inPlace('state.json', 'state.json.bak'));
  });
});
