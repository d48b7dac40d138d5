/**
 * A fixture /proc tree for the agent's procRoot: net/dev, loadavg, stat (with btime), sys/kernel/random/boot_id and
 * optionally uptime. Every file is replaced atomically (temp file + rename), so an agent reading while the test
 * writes sees the old content or the new one, never half a file. Only the files a change touches are rewritten:
 * growing counters rewrites net/dev alone, so a running agent never sees a new boot id with old counters.
 */
import { mkdir, mkdtemp, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Counters {
  rx: bigint;
  tx: bigint;
}

export interface ProcSnapshot {
  /** Interfaces in /proc/net/dev order. */
  interfaces: Record<string, Counters>;
  /** null: no boot_id file (an old kernel). */
  bootId: string | null;
  /** null: no btime line in stat. */
  btime: number | null;
  /** null: no uptime file. */
  uptimeSec: number | null;
  /** null: no loadavg file. */
  load: [number, number, number] | null;
  /** Extra raw lines appended to net/dev as they are (malformed-input tests). */
  extraNetDevLines?: string[];
}

const HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

export function netDevText(interfaces: Record<string, Counters>, extra: readonly string[] = []): string {
  const lines = Object.entries(interfaces).map(([name, c]) => {
    const rxPackets = c.rx / 1000n;
    const txPackets = c.tx / 1000n;
    return `${name.padStart(6)}: ${c.rx} ${rxPackets} 0 0 0 0 0 0 ${c.tx} ${txPackets} 0 0 0 0 0 0`;
  });
  return HEADER + [...lines, ...extra].map((l) => `${l}\n`).join('');
}

export function statText(btime: number | null): string {
  return `cpu  10 0 10 100 0 0 0 0 0 0\ncpu0 10 0 10 100 0 0 0 0 0 0\nintr 0\nctxt 0\n${btime === null ? '' : `btime ${btime}\n`}processes 1\n`;
}

async function writeAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

async function removeIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

/** Writes a whole tree into `root` (which may or may not exist). */
export async function writeProcTree(root: string, s: ProcSnapshot): Promise<void> {
  await writeAtomic(join(root, 'net', 'dev'), netDevText(s.interfaces, s.extraNetDevLines));
  await writeAtomic(join(root, 'stat'), statText(s.btime));
  const bootIdPath = join(root, 'sys', 'kernel', 'random', 'boot_id');
  if (s.bootId === null) await removeIfPresent(bootIdPath);
  else await writeAtomic(bootIdPath, `${s.bootId}\n`);
  if (s.uptimeSec === null) await removeIfPresent(join(root, 'uptime'));
  else await writeAtomic(join(root, 'uptime'), `${s.uptimeSec.toFixed(2)} ${(s.uptimeSec * 1.5).toFixed(2)}\n`);
  if (s.load === null) await removeIfPresent(join(root, 'loadavg'));
  else await writeAtomic(join(root, 'loadavg'), `${s.load.map((v) => v.toFixed(2)).join(' ')} 1/123 4567\n`);
}

/** A tree in its own temp dir, changed step by step; remove() deletes it. */
export class ProcFixture {
  readonly root: string;
  private snap: ProcSnapshot;

  private constructor(root: string, snap: ProcSnapshot) {
    this.root = root;
    this.snap = snap;
  }

  static async create(initial: Partial<ProcSnapshot> = {}, parent = tmpdir()): Promise<ProcFixture> {
    const dir = await mkdtemp(join(parent, 'ta-proc-'));
    const snap: ProcSnapshot = {
      interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 0n, tx: 0n } },
      bootId: '00000000-0000-4000-8000-000000000001',
      btime: 1_700_000_000,
      uptimeSec: null,
      load: [0.5, 0.4, 0.3],
      ...initial,
    };
    const fx = new ProcFixture(join(dir, 'proc'), snap);
    await writeProcTree(fx.root, snap);
    return fx;
  }

  get snapshot(): Readonly<ProcSnapshot> {
    return this.snap;
  }

  counters(iface: string): Counters {
    const c = this.snap.interfaces[iface];
    if (!c) throw new Error(`no interface ${iface} in the fixture`);
    return { ...c };
  }

  /** Replaces net/dev only. */
  async setInterfaces(interfaces: Record<string, Counters>, extraNetDevLines?: string[]): Promise<void> {
    this.snap = { ...this.snap, interfaces: structuredClone(interfaces), extraNetDevLines };
    await writeAtomic(join(this.root, 'net', 'dev'), netDevText(this.snap.interfaces, extraNetDevLines));
  }

  /** Adds bytes to one interface's counters (net/dev only). */
  async grow(iface: string, rx: bigint, tx: bigint): Promise<void> {
    const c = this.counters(iface);
    await this.setInterfaces(
      { ...this.snap.interfaces, [iface]: { rx: c.rx + rx, tx: c.tx + tx } },
      this.snap.extraNetDevLines,
    );
  }

  /** Rewrites the whole tree with the given changes (a reboot: new boot id, btime, counters). */
  async update(change: Partial<ProcSnapshot>): Promise<void> {
    this.snap = { ...this.snap, ...structuredClone(change) };
    await writeProcTree(this.root, this.snap);
  }

  async remove(): Promise<void> {
    await rm(dirname(this.root), { recursive: true, force: true });
  }
}
