/**
 * `once` exits non-zero when it could not persist (issue 10, item 8): with an existing state directory that refuses
 * writes (a tmpfs remounted read-only), it used to log STATE_WRITE_FAILED and exit 0, so a cron'd `once` would never
 * count anything and nobody would notice. Now it exits 5 (STATE_WRITE_FAILED) and sends nothing it did not save; once
 * the directory takes writes again, the next `once` counts the bytes, once.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { canMount, TmpfsStateDir } from '../../faults/lib/mounts.js';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, logLines, makeTempDir, runAgent, writeConfig } from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt(), 300_000); // tsc can take minutes on a loaded machine

describe('once with an unwritable state directory', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;
  let disk: TmpfsStateDir;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-ro-');
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10_000n, tx: 20_000n } } });
    // Root ignores file permissions: a read-only mount is what refuses root's writes.
    const why = await canMount(join(tmp.dir, 'probe'));
    if (why) throw new Error(`this test needs a tmpfs mount: ${why}`);
    disk = new TmpfsStateDir(join(tmp.dir, 'state'));
    await disk.mount();
  });
  afterEach(async () => {
    await disk.unmount();
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('exits 5 naming STATE_WRITE_FAILED, sends nothing unsaved, and the bytes are counted once later', async () => {
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: disk.dir,
      procRoot: fx.root,
    });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    await fx.grow('eth0', 3_000n, 4_000n);
    const requests = server.counters.requests;

    await disk.readOnly();
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('STATE_WRITE_FAILED');
    expect(logLines(r.stdout).some((l) => l.code === 'STATE_WRITE_FAILED')).toBe(true);
    expect(server.sums().rx).toBe(0n); // a heartbeat may go out, but no record that was not saved

    await disk.readWrite();
    const after = await runAgent(['once', '-c', cfg]);
    expect(after.code).toBe(0);
    expect(server.counters.requests).toBeGreaterThan(requests);
    expect(server.sums()).toMatchObject({ rx: 3_000n, tx: 4_000n });
  });
});
