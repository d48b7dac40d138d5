/**
 * A crash in the middle of a state save, at every write of it: the write stops half way (as a power loss or a kill
 * part way through a multi-page write leaves the file) and the process is gone. A new process must then load either
 * the last completed save or the one in progress, never anything older and never nothing, whatever the file written
 * first (the usual order, or the good copy first when a load found it damaged). And a state written by the agent
 * before in-place saves (temp file and rename, unpadded) loads as it is and is then overwritten in place.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';

/** The write call (counted from 1 since armed) that tears: it writes half of what it was given, then throws. */
let tearAt = 0;
let writes = 0;

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeSync: (fd: number, buf: Uint8Array, off: number, len: number, pos: number) => {
      if (tearAt > 0 && ++writes === tearAt) {
        fs.writeSync(fd, buf, off, Math.floor(len / 2), pos);
        throw Object.assign(new Error('simulated crash mid-write'), { code: 'EIO' });
      }
      return fs.writeSync(fd, buf, off, len, pos);
    },
  };
});

const { oneInterfaceState } = await import('./one-interface-state.js');
const { StateStore, PAD } = await import('../../../src/agent/state/state-store.js');
const { encodeState, decodeState } = await import('../../../src/agent/state/state-codec.js');
const { replaceFileSync } = await import('../../../src/common/atomic-file.js');

const parent = mkdtempSync(join(tmpdir(), 'state-torn-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

const base = oneInterfaceState();
/** Save number n: its own nextSeq, and a last field (the rollups') that differs too, so half a write is never whole. */
const nth = (n: number) => ({
  ...base,
  nextSeq: n,
  lastDelivery: { collector: 1_700_000_000_000 + n ** 5 },
  rollups: { ...base.rollups!, since: base.rollups!.since + n },
});

let n = 0;
let dir: string;
beforeEach(() => {
  dir = join(parent, `s${++n}`);
  tearAt = 0;
  writes = 0;
});

async function crashDuring(store: InstanceType<typeof StateStore>, seq: number, write: number): Promise<void> {
  tearAt = write;
  writes = 0;
  await expect(store.save(nth(seq))).rejects.toThrow(/simulated crash/);
  tearAt = 0;
}

describe('a crash in the middle of a save', () => {
  for (const write of [1, 2]) {
    it(`at its write #${write}: the next process loads the last completed save or this one`, async () => {
      const store = new StateStore(dir);
      await store.load(Date.now());
      for (let seq = 2; seq <= 5; seq++) await store.save(nth(seq));
      await crashDuring(store, 6, write);
      const loaded = await new StateStore(dir).load(Date.now());
      expect(loaded.state?.nextSeq).toBe(write === 1 ? 5 : 6);
      expect(loaded.source).toBe(write === 1 ? 'backup' : 'primary');
    });

    it(`at its write #${write} when the good copy was found damaged at load: still the last save or this one`, async () => {
      const first = new StateStore(dir);
      await first.load(Date.now());
      await first.save(nth(2));
      await first.save(nth(3));
      writeFileSync(join(dir, 'state.json.bak'), readFileSync(join(dir, 'state.json')).subarray(0, 40));
      const second = new StateStore(dir);
      expect((await second.load(Date.now())).state?.nextSeq).toBe(3);
      await crashDuring(second, 4, write);
      // the good copy is written first now: a tear in it leaves state.json (3); a tear in state.json, the copy (4)
      const loaded = await new StateStore(dir).load(Date.now());
      expect(loaded.state?.nextSeq).toBe(write === 1 ? 3 : 4);
      expect(loaded.problems.length).toBe(write === 1 ? 0 : 1);
    });
  }

  it('two crashes in a row, each tearing a different file, still leave a whole state', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    await store.save(nth(2));
    await crashDuring(store, 3, 2); // the good copy torn, state.json holds 3
    const second = new StateStore(dir);
    expect((await second.load(Date.now())).state?.nextSeq).toBe(3);
    await crashDuring(second, 4, 2); // the copy written first (4), then state.json torn
    const third = new StateStore(dir);
    const loaded = await third.load(Date.now());
    expect(loaded.state?.nextSeq).toBe(4);
    await third.save(nth(5));
    expect((await new StateStore(dir).load(Date.now())).state?.nextSeq).toBe(5);
  });
});

describe('a state directory written by an older agent (temp file and rename, no padding)', () => {
  it('loads as it is, and the next save overwrites both files in place, padded', async () => {
    const old = new StateStore(dir);
    await old.load(Date.now()); // makes the directory
    const text = encodeState(nth(7));
    replaceFileSync(join(dir, 'state.json'), text);
    replaceFileSync(join(dir, 'state.json.bak'), text);
    expect(statSync(join(dir, 'state.json')).size % PAD).not.toBe(0);
    const inodes = ['state.json', 'state.json.bak'].map((f) => statSync(join(dir, f)).ino);

    const store = new StateStore(dir);
    const loaded = await store.load(Date.now());
    expect(loaded).toMatchObject({ source: 'primary', problems: [] });
    expect(loaded.state).toEqual(nth(7));
    await store.save(nth(8));
    for (const [i, f] of ['state.json', 'state.json.bak'].entries()) {
      const st = statSync(join(dir, f));
      expect(st.ino, `${f} written in place`).toBe(inodes[i]);
      expect(st.size % PAD).toBe(0);
      expect(st.mode & 0o777).toBe(0o600);
      const bytes = readFileSync(join(dir, f), 'utf8');
      expect(bytes.endsWith(' \n')).toBe(true);
      expect(decodeState(bytes)).toEqual(nth(8));
    }
  });

  it('a state that shrinks leaves no tail of the longer one', async () => {
    const store = new StateStore(dir);
    await store.load(Date.now());
    const long = {
      ...nth(2),
      events: undefined,
      cursors: Object.fromEntries([...Array(60)].map((_, i) => [`s${i}`, i])),
    };
    await store.save(long);
    const longSize = statSync(join(dir, 'state.json')).size;
    await store.save(nth(3));
    expect(statSync(join(dir, 'state.json')).size).toBeLessThan(longSize);
    expect(decodeState(readFileSync(join(dir, 'state.json'), 'utf8'))).toEqual(nth(3));
    expect(decodeState(readFileSync(join(dir, 'state.json.bak'), 'utf8'))).toEqual(nth(3));
  });
});
