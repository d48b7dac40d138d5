/** A minimal fixture /proc tree in a temp dir: net/dev with given counters, loadavg, stat (btime), boot_id. */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Counters = Record<string, { rx: bigint; tx: bigint }>;

export function netDevText(ifaces: Counters): string {
  const head =
    'Inter-|   Receive                                                |  Transmit\n' +
    ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo frame compressed multicast\n';
  return head + Object.entries(ifaces).map(([n, c]) => `${n.padStart(6)}: ${c.rx} 1 0 0 0 0 0 0 ${c.tx} 1 0 0 0 0 0 0\n`).join('');
}

export interface ProcTree {
  root: string;
  /** Replaces net/dev atomically (write + rename), so the agent never reads half a file. */
  setCounters: (c: Counters) => void;
}

export function makeProcTree(ifaces: Counters, bootId = '0b0b0b0b-0000-4000-8000-000000000001'): ProcTree {
  const root = mkdtempSync(join(tmpdir(), 'proc-'));
  mkdirSync(join(root, 'net'));
  mkdirSync(join(root, 'sys/kernel/random'), { recursive: true });
  writeFileSync(join(root, 'loadavg'), '0.50 0.40 0.30 1/123 4567\n');
  writeFileSync(join(root, 'stat'), 'cpu  1 2 3 4\nbtime 1760000000\n');
  writeFileSync(join(root, 'sys/kernel/random/boot_id'), `${bootId}\n`);
  const setCounters = (c: Counters) => {
    writeFileSync(join(root, 'net/dev.tmp'), netDevText(c));
    renameSync(join(root, 'net/dev.tmp'), join(root, 'net/dev'));
  };
  setCounters(ifaces);
  return { root, setCounters };
}
