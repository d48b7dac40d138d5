/**
 * The single executable's idle pages, handed back. About 40 MB of the daemon's resident memory were pages of its own
 * executable (Node's code and read-only data, file-backed): most of them served start-up only (the bootstrap, the
 * parser, the module loader, later V8's optimising compiler) or are neighbours the kernel's read-ahead mapped in with
 * them, yet they stay mapped, and counted, for the life of the process. Once the daemon runs, and every hour after,
 * its clean read-only mappings of the executable are unmapped (madvise MADV_DONTNEED through the embedded
 * drop_pages.node, src/agent/native/drop-pages.c): what a tick uses is mapped again from the page cache on the next
 * tick and stays; the rest goes. Measured with `npm run bench:footprint` (docs/benchmarks.md).
 *
 * MADV_DONTNEED would discard a page the process wrote (copy-on-write), so only mappings that are read-only, private,
 * of the executable's own file, and that /proc/self/smaps shows with no anonymous page at all are passed. The npm
 * route (node bin/traffic-agent.js) runs a node that is not ours to trim.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../common/error-message.js';
import type { Logger } from '../logger.js';
import { isSea, loadSeaAddon, SEA_ASSETS } from '../sea/sea-assets.js';

export const DROP_PAGES_EVERY_MS = 60 * 60_000;

export interface MappingRange {
  start: bigint;
  end: bigint;
}

const SMAPS_HEADER = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) [0-9a-f]+ \S+ \d+(?: +(.*))?$/;
const ANONYMOUS = /^Anonymous:\s+(\d+) kB$/;

/**
 * The mappings of `file` in the text of /proc/PID/smaps that can be dropped without losing a byte: private, not
 * writable, and without any anonymous (copy-on-write) page. A file replaced on disk while mapped (a package upgrade
 * under the running daemon) is listed as "PATH (deleted)". A mapping whose Anonymous line is missing is left alone.
 */
export function parseDroppableMappings(smaps: string, file: string): MappingRange[] {
  const ranges: MappingRange[] = [];
  let current: (MappingRange & { ours: boolean }) | undefined;
  for (const line of smaps.split('\n')) {
    const header = SMAPS_HEADER.exec(line);
    if (header) {
      const [, start, end, perms, path = ''] = header;
      const ours = perms[1] === '-' && perms[3] === 'p' && (path === file || path === `${file} (deleted)`);
      current = { start: BigInt(`0x${start}`), end: BigInt(`0x${end}`), ours };
      continue;
    }
    const anonymous = ANONYMOUS.exec(line);
    if (anonymous && current) {
      if (current.ours && anonymous[1] === '0') ranges.push({ start: current.start, end: current.end });
      current = undefined; // one Anonymous line per mapping
    }
  }
  return ranges;
}

/** The resident file-backed memory of this process in bytes (RssFile of /proc/PID/status), or undefined. */
export function parseRssFile(status: string): number | undefined {
  const m = /^RssFile:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

export interface DropPagesDeps {
  smaps: () => string;
  status: () => string;
  dropPages: (start: bigint, length: bigint) => number;
  file: string;
}

export interface DropPagesResult {
  ranges: number;
  bytes: number;
  residentFileBefore?: number;
  residentFileAfter?: number;
  /** The first errno madvise returned, when one did. */
  errno?: number;
}

export function dropExecutablePages(deps: DropPagesDeps): DropPagesResult {
  const residentFileBefore = parseRssFile(deps.status());
  const ranges = parseDroppableMappings(deps.smaps(), deps.file);
  let bytes = 0;
  let errno: number | undefined;
  for (const r of ranges) {
    const rc = deps.dropPages(r.start, r.end - r.start);
    if (rc === 0) bytes += Number(r.end - r.start);
    else errno ??= rc;
  }
  return { ranges: ranges.length, bytes, residentFileBefore, residentFileAfter: parseRssFile(deps.status()), errno };
}

const mb = (n: number | undefined) => (n === undefined ? undefined : Math.round(n / 1e5) / 10);

/**
 * In the single executable: drops the executable's idle pages now and every DROP_PAGES_EVERY_MS (a timer that never
 * keeps the process alive). The first pass logs at info, later ones at debug. A pass that finds nothing to drop, or
 * that madvise refuses, logs a warning and ends it for good.
 */
export function scheduleDropPages(logger: Logger): void {
  if (!isSea()) return;
  let addon: { dropPages: DropPagesDeps['dropPages'] };
  try {
    addon = loadSeaAddon(SEA_ASSETS.dropPagesAddon) as typeof addon;
  } catch (err) {
    logger.warn(`resident pages: the embedded drop_pages addon did not load; they stay resident: ${errorMessage(err)}`);
    return;
  }
  const deps: DropPagesDeps = {
    smaps: () => readFileSync('/proc/self/smaps', 'utf8'),
    status: () => readFileSync('/proc/self/status', 'utf8'),
    dropPages: addon.dropPages,
    file: process.execPath,
  };
  const pass = (level: 'info' | 'debug'): boolean => {
    let r: DropPagesResult;
    try {
      r = dropExecutablePages(deps);
    } catch (err) {
      logger.warn(
        `resident pages: dropping the executable's idle pages failed; they stay resident: ${errorMessage(err)}`,
      );
      return false;
    }
    const fields = {
      ranges: r.ranges,
      droppedMB: mb(r.bytes),
      residentFileMB: { before: mb(r.residentFileBefore), after: mb(r.residentFileAfter) },
      ...(r.errno === undefined ? {} : { errno: r.errno }),
    };
    if (r.bytes === 0) {
      logger.warn(
        fields,
        r.errno === undefined
          ? `resident pages: no mapping of ${deps.file} could be dropped; they stay resident`
          : `resident pages: madvise refused (errno ${r.errno}); they stay resident`,
      );
      return false;
    }
    logger[level](
      fields,
      "resident pages: dropped the executable's idle pages; those in use are mapped again as needed",
    );
    return true;
  };
  if (!pass('info')) return;
  const timer = setInterval(() => {
    if (!pass('debug')) clearInterval(timer);
  }, DROP_PAGES_EVERY_MS);
  timer.unref();
}
