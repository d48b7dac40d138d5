/**
 * Which pages the single executable drops (src/agent/daemon/resident-pages.ts): the mappings of its own file that
 * /proc/self/smaps shows read-only, private and without one anonymous (written, copy-on-write) page. Never a writable
 * mapping, never another file's, never a mapping with a page that MADV_DONTNEED would lose. The madvise itself runs in
 * the single executable's tests (test/packaging/) and its effect is measured by bench:footprint.
 */
import { describe, expect, it } from 'vitest';
import { dropExecutablePages, parseDroppableMappings, parseRssFile } from '../../../src/agent/daemon/resident-pages.js';

const EXE = '/usr/bin/traffic-agent';
const mapping = (range: string, perms: string, path: string, anonymousKb: number | null) =>
  [
    `${range} ${perms} 00000000 fe:00 2293768${path === '' ? ' ' : `                            ${path}`}`,
    'Size:               7612 kB',
    'Rss:                2684 kB',
    ...(anonymousKb === null ? [] : [`Anonymous:          ${anonymousKb} kB`]),
    'Swap:                  0 kB',
    'VmFlags: rd mr mw me sd',
  ].join('\n');

const SMAPS = [
  mapping('00400000-00b6f000', 'r--p', EXE, 0),
  mapping('00b72000-025fe000', 'r-xp', EXE, 0),
  mapping('0563a000-0563e000', 'r--p', EXE, 16), // RELRO: relocated (written) before it was made read-only
  mapping('0563e000-0565d000', 'rw-p', EXE, 124),
  mapping('0565d000-0568a000', 'rw-p', '', 180),
  mapping('0d290000-0d420000', 'r--p', `${EXE}-old`, 0),
  mapping('0d500000-0d600000', 'r--s', EXE, 0), // shared: not ours to drop
  mapping('0d600000-0d700000', 'r--p', EXE, null), // no Anonymous line: left alone
  mapping('1f3e0000-1f6c2000', 'rw-p', '[heap]', 3956),
  mapping('7f9b46040000-7f9b461d2000', 'r-xp', EXE, 0),
  mapping('7f9b46200000-7f9b46228000', 'r--p', '/usr/lib/x86_64-linux-gnu/libc.so.6', 0),
  mapping('7f9b46300000-7f9b46301000', 'r--p', '/opt/my agent/traffic-agent', 0),
  'not a smaps line',
].join('\n');

describe('parseDroppableMappings', () => {
  it('names the clean read-only private mappings of the executable only', () => {
    expect(parseDroppableMappings(SMAPS, EXE)).toEqual([
      { start: 0x400000n, end: 0xb6f000n },
      { start: 0xb72000n, end: 0x25fe000n },
      { start: 0x7f9b46040000n, end: 0x7f9b461d2000n },
    ]);
  });

  it('still finds the executable replaced on disk under the running daemon (a package upgrade)', () => {
    const upgraded = SMAPS.replaceAll(`${EXE}\n`, `${EXE} (deleted)\n`);
    expect(parseDroppableMappings(upgraded, EXE)).toHaveLength(3);
  });

  it('reads a path with spaces whole', () => {
    expect(parseDroppableMappings(SMAPS, '/opt/my agent/traffic-agent')).toEqual([
      { start: 0x7f9b46300000n, end: 0x7f9b46301000n },
    ]);
  });

  it('finds nothing for a file that is not mapped, or in text that is not a smaps file', () => {
    expect(parseDroppableMappings(SMAPS, '/usr/bin/node')).toEqual([]);
    expect(parseDroppableMappings('garbage\nAnonymous: 0 kB\n', EXE)).toEqual([]);
  });
});

describe('parseRssFile', () => {
  it('reads RssFile from /proc/PID/status in bytes', () => {
    expect(parseRssFile('VmRSS:\t   57752 kB\nRssAnon:\t   16776 kB\nRssFile:\t   40976 kB\n')).toBe(40976 * 1024);
    expect(parseRssFile('VmRSS:\t   57752 kB\n')).toBeUndefined();
  });
});

describe('dropExecutablePages', () => {
  it('drops each range once with its length and sums what was dropped', () => {
    const calls: [bigint, bigint][] = [];
    let rss = 40_000;
    const r = dropExecutablePages({
      smaps: () => SMAPS,
      status: () => `RssFile:\t${rss} kB\n`,
      dropPages: (start, length) => {
        calls.push([start, length]);
        rss = 6_000;
        return 0;
      },
      file: EXE,
    });
    expect(calls).toEqual([
      [0x400000n, 0x76f000n],
      [0xb72000n, 0x1a8c000n],
      [0x7f9b46040000n, 0x192000n],
    ]);
    expect(r).toEqual({
      ranges: 3,
      bytes: 0x76f000 + 0x1a8c000 + 0x192000,
      residentFileBefore: 40_000 * 1024,
      residentFileAfter: 6_000 * 1024,
      errno: undefined,
    });
  });

  it('reports the first errno and counts only the ranges dropped', () => {
    let n = 0;
    const r = dropExecutablePages({
      smaps: () => SMAPS,
      status: () => '',
      dropPages: () => (n++ === 1 ? 0 : 1),
      file: EXE,
    });
    expect(r).toMatchObject({ ranges: 3, bytes: 0x1a8c000, errno: 1 });
  });
});
