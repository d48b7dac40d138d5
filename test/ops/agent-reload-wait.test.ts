/**
 * `traffic-agent reload --pid` (the unit's ExecReload) returns only once the daemon has reloaded: when it exits 0 the
 * new config is in force, and it exits 1 saying why when the daemon refused the config (keeping the old one) or did
 * not finish in time. $RUNTIME_DIRECTORY stands in for the unit's RuntimeDirectory= (src/ops/reload-status.ts).
 *
 * To make the reload slow, the daemon is mid-tick when it is signalled: its proxy stats source is a TCP server that
 * accepts and never answers, so the tick waits userTraffic.timeoutMs, and a reload waits for the tick in progress.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_BIN, startAgent, type RunningAgent } from '../support/agent-binary.js';
import { freePort } from '../support/free-port.js';
import { startHeartbeatServer, type HeartbeatServer } from '../support/heartbeat-server.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';

const TOKEN = 'reload-wait-token';
let agent: RunningAgent | null = null;
let collector: HeartbeatServer | null = null;
let silent: Server | null = null;
const held: Socket[] = [];
afterEach(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await agent?.exited;
  agent = null;
  for (const s of held.splice(0)) s.destroy();
  await new Promise((r) => (silent ? silent.close(r) : r(undefined)));
  silent = null;
  await collector?.close();
  collector = null;
});

interface Reload {
  code: number;
  stderr: string;
  /** Date.now() when the command exited. */
  at: number;
}

function reload(pid: number, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Reload> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [AGENT_BIN, 'reload', '--pid', String(pid), ...extra],
      { env: { ...process.env, ...env } },
      (err, _stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stderr, at: Date.now() });
      },
    );
  });
}

async function metricsAnswer(port: number): Promise<number | string> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    await res.text();
    return res.status;
  } catch (err) {
    return String((err as { cause?: { code?: string } }).cause?.code ?? err);
  }
}

describe('traffic-agent reload waits for the daemon', () => {
  it('returns once the reload is applied, fails on a refused config and on a timeout', async () => {
    const fx = await ProcFixture.create({ interfaces: { eth0: { rx: 1000n, tx: 1000n } } });
    collector = await startHeartbeatServer({ token: TOKEN });
    // A proxy stats "core" that takes the connection and never says a word: each tick waits timeoutMs for it.
    // `asked` counts what the agent sends it: each tick's gRPC call arrives as one or more writes.
    let asked = 0;
    silent = createServer((s) => {
      held.push(s);
      s.on('data', () => asked++);
    });
    await new Promise<void>((r) => silent!.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;

    const dir = mkdtempSync(join(tmpdir(), 'agent-reload-wait-'));
    const runtimeDir = join(dir, 'run');
    mkdirSync(runtimeDir, { mode: 0o700 });
    const env = { RUNTIME_DIRECTORY: runtimeDir };
    const cfgFile = join(dir, 'config.json');
    const base = {
      node: { id: 1, token: TOKEN },
      stateDir: join(dir, 'state'),
      procRoot: fx.root,
      collector: { url: collector.url },
      heartbeatIntervalSec: 1,
    };
    const write = (cfg: object) => writeFileSync(cfgFile, JSON.stringify(cfg));
    const slowProxy = { enabled: true, address: `127.0.0.1:${silentPort}`, timeoutMs: 6000 };
    write(base);
    agent = startAgent(['run', '-c', cfgFile], env);
    await agent.waitFor('"event":"start"');
    const pid = agent.child.pid!;
    const status = () => JSON.parse(readFileSync(join(runtimeDir, 'reload-status.json'), 'utf8'));
    expect(status()).toMatchObject({ pid, generation: 0, state: 'running' });

    // 1. A quick reload that turns on the silent proxy source: from now on each tick takes 6 s.
    write({ ...base, userTraffic: slowProxy });
    const first = await reload(pid, env);
    expect(first, first.stderr).toMatchObject({ code: 0, stderr: '' });
    expect(status()).toMatchObject({ pid, generation: 1, state: 'reloaded' });

    // 2. Mid-tick, a reload that adds the metrics endpoint: the command returns only once it answers.
    await until(() => asked > 0, 'the tick to reach the silent proxy core', { ms: 20_000 });
    const metricsPort = await freePort();
    write({ ...base, userTraffic: slowProxy, metrics: { listen: `127.0.0.1:${metricsPort}` } });
    const signalledAt = Date.now();
    const second = await reload(pid, env);
    expect(second, second.stderr).toMatchObject({ code: 0, stderr: '' });
    // Asked at once, with no retry: the new config is in force the moment `reload` returned.
    expect(await metricsAnswer(metricsPort)).toBe(200);
    // And the command did wait for the tick (which began before the signal and holds the reload for up to 6 s).
    expect(second.at - signalledAt).toBeGreaterThan(500);
    expect(status()).toMatchObject({ pid, generation: 2, state: 'reloaded' });

    // 3. A broken config: exit 1 naming each problem; the daemon keeps the old config and runs on.
    writeFileSync(cfgFile, JSON.stringify({ ...base, collector: { url: 'ftp://nowhere' }, heartbeatIntervalSec: 'x' }));
    const refused = await reload(pid, env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`traffic-agent reload: process ${pid} refused the new configuration`);
    expect(refused.stderr).toContain('keeps the old one');
    expect(refused.stderr).toContain('collector.url: must be an http(s) URL');
    expect(refused.stderr).toMatch(/heartbeatIntervalSec: /);
    expect(agent.child.exitCode).toBeNull();
    expect(await metricsAnswer(metricsPort)).toBe(200); // the old config (with metrics) still in force
    expect(status()).toMatchObject({ pid, generation: 3, state: 'refused' });

    // 4. A reload stuck behind a 6 s tick with a 1 s budget: exit 1, saying it timed out.
    write({ ...base, userTraffic: slowProxy, metrics: { listen: `127.0.0.1:${metricsPort}` } });
    const sofar = asked;
    await until(() => asked > sofar, 'the next tick to reach the silent proxy core', { ms: 20_000 });
    const late = await reload(pid, env, ['--timeout-sec', '1']);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`traffic-agent reload: process ${pid} did not finish reloading within 1 s`);
    // The daemon finishes that reload by itself once the tick is over.
    await until(() => status().generation === 4 && status().state === 'reloaded', 'the late reload to finish', {
      ms: 20_000,
    });

    // 5. A process that is gone: exit 1 at once.
    agent.child.kill('SIGKILL');
    await agent.exited;
    const gone = await reload(pid, env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`cannot signal process ${pid}: no such process`);
  });
});
