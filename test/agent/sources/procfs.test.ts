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
