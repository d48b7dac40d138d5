/**
 * Real disk trouble for the agent's state directory: a small tmpfs mounted there, remounted read-only and back,
 * or filled to the last byte and emptied again. Needs root (mount); canMount() says whether this machine allows it.
 */
import { execFile } from 'node:child_process';
import { mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function canMount(probeDir: string): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root: mount is not permitted';
  await mkdir(probeDir, { recursive: true });
  try {
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir]);
    await run('umount', [probeDir]);
    return null;
  } catch (err) {
    return `mount -t tmpfs failed: ${(err as Error).message.split('\n')[0]}`;
  }
}

export class TmpfsStateDir {
  private filler: string;
  mounted = false;

  constructor(
    readonly dir: string,
    readonly sizeKb = 512,
  ) {
    this.filler = join(dir, 'filler.bin');
  }

  async mount(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await run('mount', ['-t', 'tmpfs', '-o', `size=${this.sizeKb}k,mode=0700`, 'tmpfs', this.dir]);
    this.mounted = true;
  }

  async readOnly(): Promise<void> {
    await run('mount', ['-o', 'remount,ro', this.dir]);
  }

  async readWrite(): Promise<void> {
    await run('mount', ['-o', 'remount,rw', this.dir]);
  }

  /** Writes a file until the filesystem is full (ENOSPC). */
  async fill(): Promise<void> {
    const fd = await open(this.filler, 'w');
    const block = Buffer.alloc(4096);
    try {
      for (;;) await fd.write(block);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    } finally {
      await fd.close().catch(() => undefined);
    }
  }

  async free(): Promise<void> {
    await unlink(this.filler);
  }

  async unmount(): Promise<void> {
    if (!this.mounted) return;
    await this.readWrite().catch(() => undefined);
    await run('umount', ['-l', this.dir]);
    this.mounted = false;
  }
}
