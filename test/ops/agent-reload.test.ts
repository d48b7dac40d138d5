/**
 * SIGHUP: the running agent takes a new interval, a new exclude list and a new collector URL without losing a
 * count, and refuses a broken config while keeping the old one.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runAgent, startAgent, type RunningAgent } from '../support/agent-binary.js';
import { startHeartbeatServer, type HeartbeatServer } from '../support/heartbeat-server.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';

const TOKEN = 'reload-test-token';
let agent: RunningAgent | null = null;
const servers: HeartbeatServer[] = [];
afterEach(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await agent?.exited;
  agent = null;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const total = (side: 'rx' | 'tx') => servers.reduce((s, srv) => s + srv.sums()[side], 0n);

/** The median gap (ms) between the next `n` + 1 heartbeats that reach `srv`, waited for as they come. */
async function cadence(srv: HeartbeatServer, n: number): Promise<number> {
  const from = srv.requestTimes.length;
  await until(() => srv.requestTimes.length >= from + n + 1, `${n + 1} more heartbeats`, { ms: 20_000 });
  const t = srv.requestTimes.slice(from, from + n + 1);
  const gaps = t
    .slice(1)
    .map((v, i) => v - t[i])
    .sort((x, y) => x - y);
  return gaps[Math.floor(gaps.length / 2)];
}

describe('agent SIGHUP reload', () => {
  it('applies interval, exclude list and collector URL with no count lost, and refuses a broken config', async () => {
    const fx = await ProcFixture.create({
      interfaces: { lo: { rx: 9n, tx: 9n }, eth0: { rx: 1000n, tx: 1000n }, eth1: { rx: 500n, tx: 500n } },
    });
    const a = await startHeartbeatServer({ token: TOKEN });
    const b = await startHeartbeatServer({ token: TOKEN });
    servers.push(a, b);
    const dir = mkdtempSync(join(tmpdir(), 'agent-reload-'));
    const cfgFile = join(dir, 'config.json');
    const base = { node: { id: 1, token: TOKEN }, stateDir: join(dir, 'state'), procRoot: fx.root };
    const write = (cfg: object) => writeFileSync(cfgFile, JSON.stringify(cfg));
    write({ ...base, collector: { url: a.url }, heartbeatIntervalSec: 1, interfaces: { exclude: ['lo*'] } });

    agent = startAgent(['run', '-c', cfgFile]);
    await agent.waitFor('"event":"start"');
    await fx.grow('eth0', 100n, 200n);
    await fx.grow('eth1', 10n, 20n);
    await until(() => a.sums().rx === 110n && a.sums().tx === 220n, 'the first deltas at collector A');

    // Slow cadence: about one heartbeat a second (the gaps between the next three heartbeats).
    const slow = await cadence(a, 3);

    write({ ...base, collector: { url: b.url }, heartbeatIntervalSec: 0.1, interfaces: { exclude: ['lo*', 'eth1'] } });
    agent.child.kill('SIGHUP');
    await agent.waitFor('"event":"reload"');
    await fx.grow('eth0', 1000n, 1000n);
    await fx.grow('eth1', 5000n, 5000n); // excluded now: must not count
    await until(() => total('rx') === 1110n && total('tx') === 1220n, 'the deltas after the reload');
    const fast = await cadence(b, 6);
    console.log(
      `median gap between heartbeats: ${slow} ms at heartbeatIntervalSec 1, ${fast} ms at 0.1 (after SIGHUP)`,
    );
    expect(slow).toBeGreaterThan(fast * 3);
    expect(b.sums().rx).toBeGreaterThan(0n); // the new collector URL took the traffic after the reload

    // A broken config is refused; the old one stays in force.
    writeFileSync(
      cfgFile,
      JSON.stringify({ ...base, collector: { url: 'ftp://nowhere' }, heartbeatIntervalSec: 'fast' }),
    );
    agent.child.kill('SIGHUP');
    await agent.waitFor('"event":"reload-refused"');
    expect(agent.output()).toContain('collector.url: must be an http(s) URL');
    expect(agent.output()).toMatch(/heartbeatIntervalSec: /);
    await fx.grow('eth0', 1n, 1n);
    await until(() => total('rx') === 1111n, 'counting under the old config after the refused reload');

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
    expect((await runAgent(['check-config', '-c', cfgFile])).code).toBe(1); // still the broken file on disk
    write({ ...base, collector: { url: b.url } });
    const st = await runAgent(['status', '-c', cfgFile, '--json']);
    const parsed = JSON.parse(st.output) as { totals: { rx: string; tx: string }; pending: number };
    expect(parsed.totals).toEqual({ rx: '1111', tx: '1221' });
    expect(parsed.pending).toBe(0);
    expect(agent.output()).not.toContain(TOKEN);
  });
});
