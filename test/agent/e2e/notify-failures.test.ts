/**
 * No swallowed errors (issue 11, item 4): a failed systemd notification is logged with its code at every step, not
 * only at READY. With a $NOTIFY_SOCKET the agent cannot use, the STOPPING=1 notification on SIGTERM used to fail
 * without a word; now each failure is a warn line with code SYSTEMD_NOTIFY_FAILED, and the agent still stops cleanly.
 */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../support/agent-binary.js';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, logLines, makeTempDir, writeConfig } from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt(), 300_000); // tsc can take minutes on a loaded machine

describe('systemd notification failures', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture;
  let agent: RunningAgent | null = null;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-notify-');
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10_000n, tx: 20_000n } } });
  });
  afterEach(async () => {
    if (agent && agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGKILL');
    await agent?.exited;
    agent = null;
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('are logged with their code at start and at stop, and do not stop the agent', async () => {
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
    });
    // An abstract-namespace address: the notifier refuses it (SdNotifyError) on every call.
    agent = startAgent(['run', '-c', cfg], { NOTIFY_SOCKET: '@traffic-agent-test-unusable', STATE_DIRECTORY: '' });
    await agent.waitFor('"event":"start"', 30_000);
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    const failures = logLines(agent.output())
      .filter((l) => l.code === 'SYSTEMD_NOTIFY_FAILED')
      .map((l) => l.msg);
    expect(failures).toContain('readiness notification failed');
    expect(failures).toContain('stopping notification failed');
  });
});
