/**
 * Which pages the single executable hands back (src/agent/daemon/resident-pages.ts): the read-only mappings of its own
 * file, as /proc/self/maps lists them, never a writable one, never another file's. The madvise itself runs in the
 * single executable's test (test/packaging/single-executable.test.ts) and its effect is measured by bench:footprint.
 */
import { describe, expect, it } from 'vitest';
import { pageOutExecutable, parseReadOnlyMappings, parseRssFile } from '../../../src/agent/daemon/resident-pages.js';

const EXE = '/usr/bin/traffic-agent';
const MAPS = `00400000-00b6f000 r--p 00000000 fe:00 2293768                            /usr/bin/traffic-agent
00b72000-025fe000 r-xp 00771000 fe:00 2293768                            /usr/bin/traffic-agent
0563a000-0563e000 r--p 05236000 fe:00 2293768                            /usr/bin/traffic-agent
0563e000-0565d000 rw-p 0523a000 fe:00 2293768                            /usr/bin/traffic-agent
0565d000-0568a000 rw-p 00000000 00:00 0
0d290000-0d420000 r--p 05290000 fe:00 2293768                            /usr/bin/traffic-agent-old
1f3e0000-1f6c2000 rw-p 00000000 00:00 0                                  [heap]
7f9b46040000-7f9b461d2000 r-xp 014c3000 fe:00 2293768                    /usr/bin/traffic-agent
7f9b46200000-7f9b46228000 r--p 00000000 fe:00 1835042                    /usr/lib/x86_64-linux-gnu/libc.so.6
7ffd0a1f0000-7ffd0a211000 rw-p 00000000 00:00 0                          [stack]
not a maps line
`;

describe('parseReadOnlyMappings', () => {
  it('names the read-only mappings of the executable only', () => {
    expect(parseReadOnlyMappings(MAPS, EXE)).toEqual([
      { start: 0x400000n, end: 0xb6f000n },
      { start: 0xb72000n, end: 0x25fe000n },
      { start: 0x563a000n, end: 0x563e000n },
      { start: 0x7f9b46040000n, end: 0x7f9b461d2000n },
    ]);
  });

  it('still finds the executable replaced on disk under the running daemon (a package upgrade)', () => {
    const upgraded = MAPS.replaceAll(`${EXE}\n`, `${EXE} (deleted)\n`);
    expect(parseReadOnlyMappings(upgraded, EXE)).toHaveLength(4);
  });

  it('finds nothing for a file that is not mapped, or in text that is not a maps file', () => {
    expect(parseReadOnlyMappings(MAPS, '/usr/bin/node')).toEqual([]);
    expect(parseReadOnlyMappings('garbage\n\n', EXE)).toEqual([]);
  });
});

describe('parseRssFile', () => {
  it('reads RssFile from /proc/PID/status in bytes', () => {
    expect(parseRssFile('VmRSS:\t   57752 kB\nRssAnon:\t   16776 kB\nRssFile:\t   40976 kB\n')).toBe(40976 * 1024);
    expect(parseRssFile('VmRSS:\t   57752 kB\n')).toBeUndefined();
  });
});

describe('pageOutExecutable', () => {
  it('advises each range once with its length and sums what was taken', () => {
    const calls: [bigint, bigint][] = [];
    let rss = 40_000;
    const r = pageOutExecutable({
      maps: () => MAPS,
      status: () => `RssFile:\t${rss} kB\n`,
      pageOut: (start, length) => {
        calls.push([start, length]);
        rss = 6_000;
        return 0;
      },
      file: EXE,
    });
    expect(calls).toEqual([
      [0x400000n, 0x76f000n],
      [0xb72000n, 0x1a8c000n],
      [0x563a000n, 0x4000n],
      [0x7f9b46040000n, 0x192000n],
    ]);
    expect(r).toEqual({
      ranges: 4,
      bytes: 0x76f000 + 0x1a8c000 + 0x4000 + 0x192000,
      residentFileBefore: 40_000 * 1024,
      residentFileAfter: 6_000 * 1024,
      errno: undefined,
    });
  });

  it('reports the first errno (EINVAL: no MADV_PAGEOUT before Linux 5.4) and counts only ranges taken', () => {
    let n = 0;
    const r = pageOutExecutable({
      maps: () => MAPS,
      status: () => '',
      pageOut: () => (n++ === 1 ? 0 : 22),
      file: EXE,
    });
    expect(r).toMatchObject({ ranges: 4, bytes: 0x1a8c000, errno: 22 });
  });
});
