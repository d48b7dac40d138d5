/**
 * The crash-safety order of one state save, watched on the real file-system calls: each file's data is fsynced
 * before it is renamed into place (state.json, then its good copy), and the directory is fsynced after both renames,
 * before save() resolves (and so before anything is sent). Removing or reordering any of these syncs fails here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const events: string[] = [];
const fdPaths = new Map<number, string>();

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const name = (p: unknown) => basename(String(p));
  return {
    ...fs,
    openSync: (...a: Parameters<typeof fs.openSync>) => {
      const fd = fs.openSync(...a);
      fdPaths.set(fd, name(a[0]));
      return fd;
    },
    fsyncSync: (fd: number) => {
      fs.fsyncSync(fd);
      events.push(`fsync ${fdPaths.get(fd)}`);
    },
    renameSync: (from: import('node:fs').PathLike, to: import('node:fs').PathLike) => {
      fs.renameSync(from, to);
      events.push(`rename ${name(from).replace(/\.[^.]*tmp.*$/, '.tmp')} -> ${name(to)}`);
    },
  };
});

const { baselineState } = await import('../../../src/agent/accounting/account-tick.js');
const { StateStore } = await import('../../../src/agent/state/state-store.js');

const parent = mkdtempSync(join(tmpdir(), 'state-order-'));
afterAll(() => rmSync(parent, { recursive: true, force: true }));

describe('StateStore.save', () => {
  it('fsyncs each file before its rename and the directory after both, before it resolves', async () => {
    const dir = join(parent, 'state');
    const store = new StateStore(dir);
    await store.load(Date.now());
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
    events.length = 0;
    await store.save(state);
    events.push('resolved');
    const tmpOf = (f: string) => events.find((e) => e.startsWith(`fsync ${f}.`) && e.includes('tmp'));
    expect(tmpOf('state.json'), events.join('\n')).toBeDefined();
    expect(events).toEqual([
      tmpOf('state.json'),
      'rename state.json.tmp -> state.json',
      tmpOf('state.json.bak'),
      'rename state.json.bak.tmp -> state.json.bak',
      'fsync state',
      'resolved',
    ]);
  });
});
