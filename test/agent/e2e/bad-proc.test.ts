/** Bad /proc input is never fatal: malformed net/dev lines are skipped and named, a missing loadavg sends load null. */
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import { TOKEN, ensureBuilt, logLines, makeTempDir, runAgent, writeConfig } from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt());

describe('bad /proc input', () => {
  let server: HeartbeatServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let fx: ProcFixture | null = null;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    tmp = await makeTempDir('ta-badproc-');
  });
  afterEach(async () => {
    await server.close();
    await fx?.remove();
    fx = null;
    await tmp.cleanup();
  });

  it('skips malformed net/dev lines, names them in the log, and still counts the other interfaces', async () => {
    const malformed = [
      '  bad0: 1 2 3',
      'this line has no colon at all',
      '  eth9: 100 1 0 0 0 0 0 0 x 1 0 0 0 0 0 0',
      '  neg1: -5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0',
    ];
    fx = await ProcFixture.create({
      interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 1_000n, tx: 2_000n }, eth1: { rx: 0n, tx: 0n } },
      extraNetDevLines: malformed,
    });
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
    });
    const first = await runAgent(['once', '-c', cfg]);
    expect(first.code).toBe(0);
    await fx.grow('eth0', 5_000n, 6_000n);
    await fx.grow('eth1', 7n, 8n);
    const second = await runAgent(['once', '-c', cfg]);
    expect(second.code).toBe(0);
    expect(server.sums()).toEqual({ rx: 5_007n, tx: 6_008n, records: 1 });

    const warn = logLines(second.stdout).find((l) => l.code === 'PROC_MALFORMED');
    expect(warn?.msg).toBe(`${fx.root}/net/dev: 4 line(s) skipped`);
    const details = ((warn?.details ?? []) as string[]).join('\n');
    expect(details).toMatch(/line \d+ \(bad0\): expected 16 counters, found 3/);
    expect(details).toMatch(/line \d+: no "name:" prefix/);
    expect(details).toMatch(/line \d+ \(eth9\): field 9 is not an unsigned 64-bit integer: "x"/);
    expect(details).toMatch(/line \d+ \(neg1\): field 1 is not an unsigned 64-bit integer: "-5"/);
    expect(`${first.stdout}${first.stderr}${second.stdout}${second.stderr}`).not.toContain(TOKEN);
  });

  it('a net/dev with no usable line fails the tick with exit 3 and keeps the saved state', async () => {
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 1n, tx: 1n } } });
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
    });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    await fx.setInterfaces({}, ['  eth0: 1 2 3']);
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`PROC_MALFORMED: ${fx.root}/net/dev: no interface line could be parsed`);
    await fx.setInterfaces({ eth0: { rx: 101n, tx: 51n } });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    expect(server.sums()).toEqual({ rx: 100n, tx: 50n, records: 1 });
  });

  it('a missing loadavg: the heartbeat is still sent with load null and the records are delivered', async () => {
    fx = await ProcFixture.create({ interfaces: { eth0: { rx: 0n, tx: 0n } }, load: null });
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir: join(tmp.dir, 'state'),
      procRoot: fx.root,
    });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    await fx.grow('eth0', 42n, 24n);
    const r = await runAgent(['once', '-c', cfg]);
    expect(r.code).toBe(0);
    expect(server.sums()).toEqual({ rx: 42n, tx: 24n, records: 1 });
    expect(server.bodies.length).toBe(2);
    for (const b of server.bodies) expect(b.load).toBeNull();
    const warn = logLines(r.stdout).find((l) => l.code === 'PROC_UNREADABLE');
    expect(String(warn?.msg)).toContain(`${fx.root}/loadavg`);
    // and with loadavg back, the load is sent again
    await fx.update({ load: [1.5, 1.25, 1] });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    expect(server.bodies.at(-1)?.load).toEqual([1.5, 1.25, 1]);
  });
});
