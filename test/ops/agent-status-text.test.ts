/**
 * The real agent daemon under a real $NOTIFY_SOCKET, on a host with lo, ifb0, ifb1 and eth0 (lo and ifb* excluded by
 * default): systemd's StatusText and the baseline log line name only the interface that is counted.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AGENT_BIN,
  REPO,
  TOKEN,
  agentEnv,
  ensureBuilt,
  makeTempDir,
  waitFor,
  writeConfig,
} from '../agent/helpers/agent-cli.js';
import { startHeartbeatServer, type HeartbeatServer } from '../support/heartbeat-server.js';
import { startListener, type Listener } from '../support/notify-listener.js';
import { ProcFixture } from '../support/proc-fixture.js';

describe('agent status text', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let server: HeartbeatServer;
  let listener: Listener;
  beforeAll(async () => {
    ensureBuilt();
    tmp = await makeTempDir('ta-status-');
    server = await startHeartbeatServer({ token: TOKEN });
    listener = await startListener(tmp.dir);
  }, 180_000);
  afterAll(async () => {
    listener?.child.kill();
    await server?.close();
    await tmp?.cleanup();
  });

  it('names only the selected interfaces in STATUS= and in the baseline log line', async () => {
    const zero = { rx: 0n, tx: 0n };
    const proc = await ProcFixture.create({ interfaces: { lo: zero, ifb0: zero, ifb1: zero, eth0: zero } }, tmp.dir);
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: proc.root,
      heartbeatIntervalSec: 60,
      exclude: ['lo*', 'ifb*'],
    });
    const child = spawn(process.execPath, [AGENT_BIN, 'run', '-c', cfg], {
      cwd: REPO,
      env: { ...agentEnv(), NOTIFY_SOCKET: listener.path },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      // next() waits 10 s per datagram; a loaded machine may take longer to start the agent.
      const ready = await waitFor(() => listener.next().catch(() => undefined), 'READY=1', 60_000);
      expect(ready).toBe('READY=1\nSTATUS=counting 1 interface: eth0');
      const line = await waitFor(
        () => out.split('\n').find((l) => l.includes('"event":"baseline"')),
        'the baseline log line',
      );
      expect(JSON.parse(line).interfaces).toEqual(['eth0']);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('close', r));
    }
  });
});
