/** The procfs reader object: one coded error for every reader, naming the file; a missing optional file is null. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/agent/errors.js';
import { readBootIdentity, readUptime } from '../../../src/agent/sources/boot.js';
import { readLoadavg } from '../../../src/agent/sources/loadavg.js';
import { readNetDev } from '../../../src/agent/sources/net-dev.js';
import { procfs } from '../../../src/agent/sources/procfs.js';

describe('procfs', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'procfs-'));
    mkdirSync(join(root, 'net'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
    try {
      await (typeof p === 'function' ? p() : p);
    } catch (err) {
      expect(err).toBeInstanceOf(AgentError);
      return { code: (err as AgentError).code, message: (err as AgentError).message };
    }
    throw new Error('expected an error');
  };

  it('reads a file under its root, and names the file in PROC_UNREADABLE', async () => {
    writeFileSync(join(root, 'loadavg'), '0.10 0.20 0.30 1/2 3\n');
    const fs = procfs(root);
    expect(fs.readFile('loadavg')).toBe('0.10 0.20 0.30 1/2 3\n');
    expect(await codeOf(() => fs.readFile('net', 'dev'))).toEqual({
      code: 'PROC_UNREADABLE',
      message: expect.stringContaining(`cannot read ${join(root, 'net', 'dev')}: ENOENT`),
    });
  });

  it('readOptional: null for a missing file, PROC_UNREADABLE for one that cannot be read', async () => {
    const fs = procfs(root);
    expect(fs.readOptional('uptime')).toBeNull();
    mkdirSync(join(root, 'uptime')); // a directory: EISDIR, even for root
    expect(await codeOf(() => fs.readOptional('uptime'))).toMatchObject({ code: 'PROC_UNREADABLE' });
  });

  it('every reader raises the same coded error through it', async () => {
    for (const read of [readNetDev, readLoadavg]) {
      expect(await codeOf(read(root))).toMatchObject({
        code: 'PROC_UNREADABLE',
        message: expect.stringContaining(root),
      });
    }
    mkdirSync(join(root, 'uptime'));
    mkdirSync(join(root, 'stat'));
    expect(await codeOf(readUptime(root))).toMatchObject({ code: 'PROC_UNREADABLE' });
    expect(await codeOf(readBootIdentity(root))).toMatchObject({ code: 'PROC_UNREADABLE' });
  });
});

describe('readBootIdentity', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'boot-'));
    mkdirSync(join(root, 'sys/kernel/random'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const ID_1 = '5c1e0a6e-1111-4a5b-9c3d-00000000000a';
  const ID_2 = '5c1e0a6e-1111-4a5b-9c3d-00000000000b';
  const write = (bootId: string | null, btime: number | 'unreadable') => {
    rmSync(join(root, 'stat'), { recursive: true, force: true });
    if (btime === 'unreadable') mkdirSync(join(root, 'stat'));
    else writeFileSync(join(root, 'stat'), `cpu  1 2 3 4\nintr 10 0 1\nbtime ${btime}\nprocesses 7\n`);
    if (bootId === null) rmSync(join(root, 'sys/kernel/random/boot_id'), { force: true });
    else writeFileSync(join(root, 'sys/kernel/random/boot_id'), `${bootId}\n`);
  };

  it('reads /proc/stat once per boot id: btime is that boot’s, the boot id decides', async () => {
    write(ID_1, 1_700_000_000);
    expect(await readBootIdentity(root)).toEqual({ bootId: ID_1, btime: 1_700_000_000 });
    // Same boot: /proc/stat is not read again (an unreadable one would fail the read), the btime of this boot stands.
    write(ID_1, 'unreadable');
    expect(await readBootIdentity(root)).toEqual({ bootId: ID_1, btime: 1_700_000_000 });
    // A new boot id: read again.
    write(ID_2, 1_700_050_000);
    expect(await readBootIdentity(root)).toEqual({ bootId: ID_2, btime: 1_700_050_000 });
    // No boot id: btime decides, so it is read every time.
    write(null, 1_700_060_000);
    expect(await readBootIdentity(root)).toEqual({ bootId: null, btime: 1_700_060_000 });
    write(null, 1_700_070_000);
    expect(await readBootIdentity(root)).toEqual({ bootId: null, btime: 1_700_070_000 });
  });

  it('keeps what it knows per procRoot', async () => {
    write(ID_1, 1_700_000_000);
    expect(await readBootIdentity(root)).toEqual({ bootId: ID_1, btime: 1_700_000_000 });
    const other = mkdtempSync(join(tmpdir(), 'boot-other-'));
    try {
      mkdirSync(join(other, 'sys/kernel/random'), { recursive: true });
      writeFileSync(join(other, 'sys/kernel/random/boot_id'), `${ID_1}\n`);
      writeFileSync(join(other, 'stat'), 'btime 1600000000\n');
      expect(await readBootIdentity(other)).toEqual({ bootId: ID_1, btime: 1_600_000_000 });
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
