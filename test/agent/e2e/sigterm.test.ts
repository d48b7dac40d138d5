/** SIGTERM: the running daemon takes a last sample, saves, delivers and exits 0; bytes added just before it arrive. */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  TOKEN,
  ensureBuilt,
  logLines,
  makeTempDir,
  readSavedState,
  startDaemon,
  statusJson,
  waitFor,
  writeConfig,
  type Daemon,
} from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt());

describe('SIGTERM', () => {
  let server: HeartbeatServer;
  let fx: ProcFixture;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let daemon: Daemon | null = null;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    fx = await ProcFixture.create({ interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 5_000_000n, tx: 6_000_000n } } });
    tmp = await makeTempDir('ta-sigterm-');
  });

  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    daemon = null;
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('takes a last sample, saves, delivers and exits 0', async () => {
    // A long interval: after the first tick, only SIGTERM makes the agent look at the counters again.
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
      heartbeatIntervalSec: 600,
    });
    const d = (daemon = startDaemon(cfg));
    await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the daemon to run', 15_000);
    expect(server.sums()).toEqual({ rx: 0n, tx: 0n, records: 0 });
    await fx.grow('eth0', 4_321_000n, 1_234_000n);
    d.child.kill('SIGTERM');
    const { code, signal } = await d.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(server.sums()).toEqual({ rx: 4_321_000n, tx: 1_234_000n, records: 1 });
    const lines = logLines(d.output());
    expect(lines.find((l) => l.event === 'stopped')).toMatchObject({ pending: 0 });
    expect((await readSavedState(join(tmp.dir, 'state')))?.interfaces.eth0).toEqual({ rx: '9321000', tx: '7234000' });
    expect((await statusJson(cfg)).totals).toEqual({ rx: '4321000', tx: '1234000' });
    expect(d.output()).not.toContain(TOKEN);
  });

  it('also while a stalled collector holds the first delivery', async () => {
    await server.setMode('stall');
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
      heartbeatIntervalSec: 600,
      timeoutMs: 1500,
    });
    const d = (daemon = startDaemon(cfg));
    // the first heartbeat is in flight and unanswered; the daemon runs all the same (the first sample is saved)
    await waitFor(() => server.counters.stalled > 0, 'the first heartbeat', 15_000);
    await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the daemon to run', 15_000);
    expect(server.counters.answered).toBe(0);
    await fx.grow('eth0', 777n, 888n);
    d.child.kill('SIGTERM');
    await server.setMode('ok');
    const { code, signal } = await d.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(server.sums()).toEqual({ rx: 777n, tx: 888n, records: 1 });
  });
});
