/**
 * Crash-safe replacement of a small file: write a temp file, fsync it, rename it over the target, fsync the
 * directory so the rename itself survives a power loss. A reader sees the old file or the new one, never a mix.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    const fd = await open(tmp, 'w', mode);
    try {
      await fd.writeFile(data, 'utf8');
      await fd.sync();
    } finally {
      await fd.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fsyncDir(dirname(path));
}
