/**
 * One writer per state directory (issue 10, item 1): a running daemon holds the lock, a second writer (`once`) is
 * refused with STATE_LOCKED (exit 4) naming the daemon's PID, even through another path to the same directory;
 * `status` and `sample` still work; after a SIGKILL of the daemon (no clean-up at all) the next `once` succeeds.
 * Before the lock, that `once` exited 0 and handed out the daemon's sequence numbers a second time.
 */
import { symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  type Daemon,
  TOKEN,
  ensureBuilt,
  logLines,
  makeTempDir,
  readSavedState,
  runAgent,
  startDaemon,
  statusJson,
  waitFor,
  writeConfig,
} from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt(), 300_000); // tsc can take minutes on a loaded machine

describe('state directory lock', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;
  let daemon: Daemon | null = null;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-lock-');
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10_000n, tx: 20_000n } } });
  });
  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    daemon = null;
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('refuses a second writer with the holder PID, lets readers in, and frees the lock when the holder is killed', async () => {
    const stateDir = join(tmp.dir, 'state');
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), { url: server.url, stateDir, procRoot: fx.root });
    // The same directory through a symlink: still the same lock.
    await symlink(tmp.dir, join(tmp.dir, 'via-link'));
    const viaLink = await writeConfig(join(tmp.dir, 'via-link.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'via-link', 'state'),
      procRoot: fx.root,
    });

    const d = startDaemon(cfg);
    daemon = d;
    await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the daemon to run', 20_000);
    // "running" follows the first saved sample; the first heartbeat goes out in the background right after it.
    await waitFor(() => server.counters.answered > 0, 'the first heartbeat', 20_000);
    const pid = d.child.pid!;
    const saved = await readSavedState(stateDir);
    expect(saved).not.toBeNull();
    await fx.grow('eth0', 1_000n, 2_000n);
    const requests = server.counters.requests;

    for (const file of [cfg, viaLink]) {
      const refused = await runAgent(['once', '-c', file]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain('STATE_LOCKED');
      expect(refused.stderr).toContain(`PID ${pid}`);
    }
    // Nothing was sent or saved by the refused writers.
    expect(server.counters.requests).toBe(requests);
    expect((await readSavedState(stateDir))?.nextSeq).toBe(saved!.nextSeq);

    // Readers are never refused.
    expect((await statusJson(cfg)).epoch).toBe(saved!.epoch);
    const sample = await runAgent(['sample', '--json', '-c', cfg]);
    expect(sample.code).toBe(0);
    expect(sample.stdout).toContain('eth0');

    // SIGKILL: no handler runs, nothing is cleaned up; the kernel frees the lock with the process.
    d.child.kill('SIGKILL');
    expect((await d.exited).signal).toBe('SIGKILL');
    const after = await runAgent(['once', '-c', viaLink]);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('STATE_LOCKED');
    // The bytes grown while the daemon held the lock are counted once, by the `once` that came after it.
    const sums = server.sums();
    expect(sums.rx).toBe(1_000n);
    expect(sums.tx).toBe(2_000n);
  });
});
