/**
 * The collector binary's safety edges (issue 10 item 4): read-only commands never create a database, the admin token
 * can come from a file and the command-line flag is warned against, and no source map is shipped or served.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollector } from '../support/collector-process.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/traffic-collector.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tc-cli-safety-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: { ...process.env, TRAFFIC_COLLECTOR_ADMIN_TOKEN: '' },
    });
    return { code: 0, ...r };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('collector CLI safety', () => {
  it('fails read-only commands on a missing database without creating it; node add creates it', async () => {
    const db = join(dir, 'nested', 'dir', 'x.db');
    for (const args of [
      ['node', 'list'],
      ['node', 'remove', '1'],
      ['node', 'rotate-token', '1'],
    ]) {
      const r = await cli([...args, '--db', db]);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`no collector database at ${db}`);
      expect(existsSync(join(dir, 'nested'))).toBe(false);
    }
    const added = await cli(['node', 'add', '--name', 'a', '--db', db]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse((await cli(['node', 'list', '--db', db])).stdout)).toHaveLength(1);
    expect((await cli(['node', 'remove', '0x1', '--db', db])).code).toBe(2);
  });

  it('takes the admin token from --admin-token-file, warns about --admin-token, and serves no source map', async () => {
    const maps = readdirSync(new URL('../../dist/dashboard/', import.meta.url)).filter((f) => f.endsWith('.map'));
    expect(maps).toEqual([]);
    for (const via of ['file', 'env', 'flag'] as const) {
      const c = await startCollector({ adminTokenVia: via });
      try {
        const nodes = await fetch(`${c.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${c.adminToken}` } });
        expect(nodes.status, via).toBe(200);
        expect(c.output().includes('--admin-token is visible to every local user'), via).toBe(via === 'flag');
        if (via === 'file') {
          for (const f of ['app.js.map', 'app.css.map', 'uPlot.esm.js.map'])
            expect((await fetch(`${c.url}/${f}`)).status, f).toBe(404);
          expect((await fetch(`${c.url}/app.js`)).status).toBe(200);
        }
      } finally {
        await c.stop();
      }
    }
  });
});
