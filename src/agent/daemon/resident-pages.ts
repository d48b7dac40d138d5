/**
 * The single executable's idle pages, handed back to the kernel. About 40 MB of the daemon's resident memory were
 * pages of its own executable (Node's code and read-only data, file-backed): most of them served start-up only (the
 * bootstrap, the parser, the module loader, later V8's optimising compiler) or are neighbours the kernel's read-ahead
 * mapped in with them, yet they stay mapped, and counted, for the life of the process. Once the daemon runs, and every
 * hour after, the read-only mappings of the executable are paged out (madvise MADV_PAGEOUT through the embedded
 * page_out.node, src/agent/native/page-out.c): what a tick uses is read back on the next tick and stays; the rest goes.
 * Measured with `npm run bench:footprint` (docs/benchmarks.md). MADV_PAGEOUT never discards data, and only pages this
 * process alone maps are reclaimed. The npm route (node bin/traffic-agent.js) runs a node that is not ours to trim.
 */
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../common/error-message.js';
import type { Logger } from '../logger.js';
import { isSea, loadSeaAddon, SEA_ASSETS } from '../sea/sea-assets.js';

export const PAGE_OUT_EVERY_MS = 60 * 60_000;

export interface MappingRange {
  start: bigint;
  end: bigint;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) [0-9a-f]+ \S+ \d+\s+(.*)$/;

/**
 * The read-only mappings of `file` in the text of /proc/PID/maps. A file replaced on disk while mapped (a package
 * upgrade under the running daemon) is listed as "PATH (deleted)". Writable mappings (.data, .bss) are left alone.
 */
export function parseReadOnlyMappings(maps: string, file: string): MappingRange[] {
  const ranges: MappingRange[] = [];
  for (const line of maps.split('\n')) {
    const m = MAPS_LINE.exec(line);
    if (!m || m[3][1] === 'w') continue;
    if (m[4] !== file && m[4] !== `${file} (deleted)`) continue;
    ranges.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`) });
  }
  return ranges;
}

/** The resident file-backed memory of this process in bytes (RssFile of /proc/PID/status), or undefined. */
export function parseRssFile(status: string): number | undefined {
  const m = /^RssFile:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

export interface PageOutDeps {
  maps: () => string;
  status: () => string;
  pageOut: (start: bigint, length: bigint) => number;
  file: string;
}

export interface PageOutResult {
  ranges: number;
  bytes: number;
  residentFileBefore?: number;
  residentFileAfter?: number;
  /** The first errno madvise returned (EINVAL: a kernel older than 5.4), when one did. */
  errno?: number;
}

export function pageOutExecutable(deps: PageOutDeps): PageOutResult {
  const ranges = parseReadOnlyMappings(deps.maps(), deps.file);
  const residentFileBefore = parseRssFile(deps.status());
  let bytes = 0;
  let errno: number | undefined;
  for (const r of ranges) {
    const rc = deps.pageOut(r.start, r.end - r.start);
    if (rc === 0) bytes += Number(r.end - r.start);
    else errno ??= rc;
  }
  return { ranges: ranges.length, bytes, residentFileBefore, residentFileAfter: parseRssFile(deps.status()), errno };
}

const EINVAL = 22;
const mb = (n: number | undefined) => (n === undefined ? undefined : Math.round(n / 1e5) / 10);

/**
 * In the single executable: pages the executable out now and every PAGE_OUT_EVERY_MS (a timer that never keeps the
 * process alive). The first pass logs at info, later ones at debug; a kernel without MADV_PAGEOUT ends it for good.
 */
export function schedulePageOut(logger: Logger): void {
  if (!isSea()) return;
  let addon: { pageOut: PageOutDeps['pageOut'] };
  try {
    addon = loadSeaAddon(SEA_ASSETS.pageOutAddon) as typeof addon;
  } catch (err) {
    logger.warn(`resident pages: the embedded page_out addon did not load, pages stay resident: ${errorMessage(err)}`);
    return;
  }
  const deps: PageOutDeps = {
    maps: () => readFileSync('/proc/self/maps', 'utf8'),
    status: () => readFileSync('/proc/self/status', 'utf8'),
    pageOut: addon.pageOut,
    file: process.execPath,
  };
  let passes = 0;
  const pass = (): boolean => {
    let r: PageOutResult;
    try {
      r = pageOutExecutable(deps);
    } catch (err) {
      logger.warn(`resident pages: paging out the executable failed: ${errorMessage(err)}`);
      return false;
    }
    const fields = {
      ranges: r.ranges,
      advisedMB: mb(r.bytes),
      residentFileMB: { before: mb(r.residentFileBefore), after: mb(r.residentFileAfter) },
      ...(r.errno === undefined ? {} : { errno: r.errno }),
    };
    if (r.errno === EINVAL && r.bytes === 0) {
      logger.info(fields, 'resident pages: this kernel has no MADV_PAGEOUT (Linux >= 5.4); pages stay resident');
      return false;
    }
    (passes++ === 0 ? logger.info : logger.debug).call(
      logger,
      fields,
      "resident pages: paged out the executable's idle pages; those in use are read back as needed",
    );
    return true;
  };
  if (!pass()) return;
  const timer = setInterval(() => {
    if (!pass()) clearInterval(timer);
  }, PAGE_OUT_EVERY_MS);
  timer.unref();
}
