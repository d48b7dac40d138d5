/**
 * A state directory writable by other users is refused (issue 10, item 7): another user could plant a state file or a
 * symlink in it. `once` stops with STATE_DIR_INSECURE (exit 2) before reading or writing anything in it, unless the
 * operator set allowInsecureStateDir. Before, a 0777 directory was used as is.
 */
import { chmod, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, makeTempDir, readSavedState, runAgent, writeConfig } from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt(), 300_000); // tsc can take minutes on a loaded machine

describe('an insecure state directory', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-insecure-');
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10_000n, tx: 20_000n } } });
  });
  afterEach(async () => {
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('is refused (0777 and 0770), and used when the operator overrides it explicitly', async () => {
    const stateDir = join(tmp.dir, 'state');
    await mkdir(stateDir);
    const base = { url: server.url, stateDir, procRoot: fx.root };
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), base);

    for (const mode of [0o777, 0o770]) {
      await chmod(stateDir, mode);
      const r = await runAgent(['once', '-c', cfg]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`STATE_DIR_INSECURE: state directory ${stateDir} is writable by`);
      expect(r.stderr).toContain(`mode 0${mode.toString(8)}`);
      expect(r.stderr).toContain('allowInsecureStateDir');
      expect(await readdir(stateDir)).toEqual([]); // nothing read, nothing written
      expect(server.counters.requests).toBe(0);
    }

    const allowed = await writeConfig(join(tmp.dir, 'allowed.json'), {
      ...base,
      extra: { allowInsecureStateDir: true },
    });
    const ok = await runAgent(['once', '-c', allowed]);
    expect(ok.code).toBe(0);
    expect((await readSavedState(stateDir))?.epoch).toMatch(/./);

    // Made private again, it needs no override.
    await chmod(stateDir, 0o700);
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
  });
});
