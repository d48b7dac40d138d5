/**
 * The single executable (npm run build:agent) on a machine with no Node and no node_modules: a copy of it in a
 * folder of its own, started with an empty environment whose PATH holds no node (`env -i`), from an empty working
 * directory. --help, --version, `sample` on a fixture /proc, `once` against a real collector (interface traffic, and
 * per-user traffic through the embedded StatsService protos from a gRPC stats server), and `run` with a real
 * $NOTIFY_SOCKET (the embedded unix-dgram addon), dropping its idle pages (the embedded drop_pages addon), reloaded by
 * `traffic-agent reload --pid` and stopped by SIGTERM, and `run` asleep between ticks (no thread wakes).
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runAgent, startAgent, type RunningAgent } from '../support/agent-binary.js';
import { ensureAgentExecutable } from '../support/agent-executable.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { startFakeProxyStats, type FakeProxyStats } from '../support/fake-proxy-stats.js';
import { startListener, type Listener } from '../support/notify-listener.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';

let top: string;
let exe: string;
let version: string;
let cwd: string;
let tmp: string;
let env: NodeJS.ProcessEnv;
let collector: CollectorProcess | undefined;
let stats: FakeProxyStats | undefined;
let listener: Listener | undefined;
let agent: RunningAgent | undefined;

beforeAll(async () => {
  const built = await ensureAgentExecutable();
  version = built.version;
  top = mkdtempSync(join(tmpdir(), 'sea-'));
  for (const d of ['bin', 'empty-path', 'cwd', 'tmp']) mkdirSync(join(top, d));
  exe = join(top, 'bin/traffic-agent');
  copyFileSync(built.binary, exe);
  execFileSync('chmod', ['755', exe]);
  cwd = join(top, 'cwd');
  tmp = join(top, 'tmp');
  env = { PATH: join(top, 'empty-path'), TMPDIR: tmp };
}, 600_000);

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  listener?.child.kill();
  await stats?.close();
  await collector?.stop();
  if (top) rmSync(top, { recursive: true, force: true });
});

const opts = () => ({ executable: exe, cwd, cleanEnv: true });
const nothingLeftBehind = () => {
  expect(readdirSync(cwd)).toEqual([]);
  expect(readdirSync(tmp)).toEqual([]); // the addon and the protos were written to private temp files, then removed
};

/** A `run` config for a registered node reading a fixture /proc, its state in `top/stateName`. */
function daemonConfig(
  c: CollectorProcess,
  node: { id: number; token: string },
  fx: ProcFixture,
  stateName: string,
  o: { timeoutMs: number; heartbeatIntervalSec: number },
) {
  return {
    node: { id: node.id, token: node.token },
    collector: { url: c.url, timeoutMs: o.timeoutMs },
    stateDir: join(top, stateName),
    procRoot: fx.root,
    heartbeatIntervalSec: o.heartbeatIntervalSec,
    log: { level: 'info' },
  };
}

/** Each thread's context switches so far (voluntary and not): a thread that woke up has more. */
function contextSwitches(pid: number): Record<string, number> {
  const byThread: Record<string, number> = {};
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      byThread[tid] = -1; // exited between the listing and the read: it woke, and shows as a difference
      continue;
    }
    const name = /^Name:\s*(.*)$/m.exec(status)?.[1];
    const switches = [...status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s*(\d+)$/gm)];
    byThread[`${tid} ${name}`] = switches.reduce((sum, m) => sum + Number(m[1]), 0);
  }
  return byThread;
}

interface NodeView {
  id: number;
  lastSeen: number | null;
  traffic: { totalRx: string; totalTx: string };
}

/** The collector's view of one node (GET /api/v1/nodes), or undefined before it is listed. */
async function nodeView(c: CollectorProcess, id: number): Promise<NodeView | undefined> {
  const res = await request(`${c.url}/api/v1/nodes`, { headers: { authorization: `Bearer ${c.adminToken}` } });
  const body = (await res.body.json()) as NodeView[];
  return (Array.isArray(body) ? body : (body as unknown as { nodes: NodeView[] }).nodes).find((x) => x.id === id);
}

/** When the collector last heard from the node (its heartbeat), or null before the first. */
async function nodeLastSeen(c: CollectorProcess, id: number): Promise<number | null> {
  return (await nodeView(c, id))?.lastSeen ?? null;
}

async function nodeTotals(c: CollectorProcess, id: number): Promise<{ totalRx: string; totalTx: string }> {
  const n = await nodeView(c, id);
  return { totalRx: n?.traffic.totalRx ?? '', totalTx: n?.traffic.totalTx ?? '' };
}

describe('the single executable, with no Node and no node_modules', () => {
  it('has no node on its PATH', () => {
    let found: string;
    try {
      found = execFileSync('/bin/sh', ['-c', 'command -v node'], { env, encoding: 'utf8' });
    } catch (err) {
      found = `exit ${(err as { status: number }).status}`;
    }
    expect(found).toBe('exit 127');
  });

  it('prints --help and --version', async () => {
    const help = await runAgent(['--help'], env, opts());
    expect(help.code).toBe(0);
    for (const cmd of ['run', 'once', 'sample', 'status', 'check-config', 'reload', 'install'])
      expect(help.output).toMatch(new RegExp(`traffic-agent ${cmd} `));
    const v = await runAgent(['--version'], env, opts());
    expect(v).toEqual({ code: 0, output: `${version}\n` });
    nothingLeftBehind();
  });

  it('samples a fixture /proc', async () => {
    const cfg = join(top, 'sample.json');
    const procRoot = join(REPO_ROOT, 'test/fixtures/proc/interfaces/step-1');
    writeFileSync(
      cfg,
      JSON.stringify({ node: { id: 1, token: 't' }, collector: { url: 'http://127.0.0.1:9' }, procRoot }),
    );
    const { code, output } = await runAgent(['sample', '-c', cfg, '--json'], env, opts());
    expect(code).toBe(0);
    const seen = JSON.parse(output) as { bootId: string; interfaces: { name: string; rxBytes: string }[] };
    expect(seen.bootId).toBe('5c1e0a6e-1111-4a5b-9c3d-00000000000a');
    expect(seen.interfaces.map((i) => [i.name, i.rxBytes])).toEqual([
      ['lo', '100'],
      ['eth0', '1000'],
      ['docker0', '5000'],
    ]);
    nothingLeftBehind();
  });

  it('`once` delivers interface and per-user traffic (gRPC, embedded protos) to a real collector', async () => {
    collector = await startCollector();
    stats = await startFakeProxyStats({ api: 'xray' });
    const node = await collector.addNode({ name: 'sea-once' });
    const fx = await ProcFixture.create({ interfaces: { lo: { rx: 5n, tx: 5n }, eth0: { rx: 1_000n, tx: 2_000n } } });
    const cfg = join(top, 'once.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { id: node.id, token: node.token },
        collector: { url: collector.url, timeoutMs: 3000 },
        stateDir: join(top, 'state-once'),
        procRoot: fx.root,
        userTraffic: { enabled: true, address: stats.address, api: 'xray' },
      }),
    );
    const once = async () => {
      const r = await runAgent(['once', '-c', cfg], env, opts());
      expect(r.code, r.output).toBe(0);
    };
    stats.advance('7', 0n, 0n);
    await once();
    await fx.grow('eth0', 1_234n, 5_678n);
    stats.advance('7', 300n, 4_000n);
    await once();
    expect(stats.calls.queryStats).toBeGreaterThanOrEqual(2);
    expect(await nodeTotals(collector, node.id)).toEqual({ totalRx: '1234', totalTx: '5678' });
    const res = await request(`${collector.url}/api/v1/users/7/traffic`, {
      headers: { authorization: `Bearer ${collector.adminToken}` },
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { total: { u: string; d: string } }).total).toEqual({
      u: '300',
      d: '4000',
      total: '4300',
    });
    nothingLeftBehind();
  }, 60_000);

  it('`run` notifies systemd through the embedded addon, reloads via `reload --pid`, stops clean', async () => {
    collector ??= await startCollector();
    const node = await collector.addNode({ name: 'sea-run' });
    const fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10n, tx: 20n } } });
    listener = await startListener(top);
    const cfg = join(top, 'run.json');
    const config = daemonConfig(collector, node, fx, 'state-run', { timeoutMs: 3000, heartbeatIntervalSec: 0.2 });
    writeFileSync(cfg, JSON.stringify(config));
    // As the unit runs it: RuntimeDirectory= gives both the daemon and ExecReload $RUNTIME_DIRECTORY.
    const runDir = join(top, 'run-dir');
    mkdirSync(runDir, { mode: 0o700 });
    const unitEnv = { ...env, RUNTIME_DIRECTORY: runDir };
    agent = startAgent(['run', '-c', cfg], { ...unitEnv, NOTIFY_SOCKET: listener.path }, opts());
    expect(await listener.next()).toMatch(/^READY=1/);

    await fx.grow('eth0', 4_000n, 9_000n);
    await until(async () => (await nodeTotals(collector!, node.id)).totalRx === '4000', 'the run daemon delivering', {
      ms: 20_000,
      everyMs: 100,
      context: () => agent!.output().slice(-2000),
    });
    expect((await nodeTotals(collector, node.id)).totalTx).toBe('9000');
    // Once running, the executable dropped its idle pages through the embedded drop_pages addon (resident-pages.ts),
    // and went on delivering: what a tick uses was mapped again.
    const dropped = agent
      .output()
      .split('\n')
      .filter((l) => l.includes("dropped the executable's idle pages"))
      .map(
        (l) =>
          JSON.parse(l) as { ranges: number; droppedMB: number; residentFileMB: { before: number; after: number } },
      );
    expect(dropped).toHaveLength(1);
    expect(dropped[0].ranges).toBeGreaterThanOrEqual(2);
    expect(dropped[0].droppedMB).toBeGreaterThan(50); // Node's code and read-only data
    expect(dropped[0].residentFileMB.after).toBeLessThan(dropped[0].residentFileMB.before / 2);

    writeFileSync(cfg, JSON.stringify({ ...config, log: { level: 'debug' } }));
    // `reload` returns once the daemon has reloaded (src/ops/reload-status.ts): RELOADING=1 and READY=1 are sent.
    const reload = await runAgent(['reload', '--pid', String(agent.child.pid)], unitEnv, opts());
    expect(reload).toEqual({ code: 0, output: '' });
    expect(JSON.parse(readFileSync(join(runDir, 'reload-status.json'), 'utf8'))).toMatchObject({
      pid: agent.child.pid,
      generation: 1,
      state: 'reloaded',
    });
    expect(await listener.next()).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(await listener.next()).toMatch(/^READY=1/);
    // The embedded addon went to a private file under $RUNTIME_DIRECTORY and was removed: only the status is there.
    expect(readdirSync(runDir)).toEqual(['reload-status.json']);

    agent.child.kill('SIGTERM');
    expect(await listener.next()).toMatch(/^STOPPING=1/);
    expect(await agent.exited).toBe(0);
    expect(agent.output()).not.toMatch(/ERR_SD_NOTIFY|"level":(50|60)/);
    nothingLeftBehind();
  }, 60_000);

  it('`run` sleeps between ticks: none of its threads wakes while it waits for the next', async () => {
    collector ??= await startCollector();
    const node = await collector.addNode({ name: 'sea-idle' });
    const fx = await ProcFixture.create({ interfaces: { eth0: { rx: 10n, tx: 20n } } });
    const cfg = join(top, 'idle.json');
    const config = daemonConfig(collector, node, fx, 'state-idle', { timeoutMs: 3000, heartbeatIntervalSec: 3600 });
    writeFileSync(cfg, JSON.stringify(config));
    agent = startAgent(['run', '-c', cfg], env, opts());
    const running = agent;
    // Start-up is over once the first tick was saved and the start-up GCs and the page drop ran (cli.ts).
    await until(() => running.output().includes("dropped the executable's idle pages"), 'the daemon running', {
      ms: 20_000,
      everyMs: 100,
      context: () => running.output().slice(-2000),
    });
    // The first heartbeat reached the collector (a failed one would bring retries into the window), and its
    // request's deadline timer (timeoutMs) has fired, once, after it.
    await until(async () => (await nodeLastSeen(collector!, node.id)) !== null, 'the first heartbeat', {
      ms: 20_000,
      everyMs: 100,
      context: () => running.output().slice(-2000),
    });
    await new Promise((r) => setTimeout(r, 3500));
    // V8's memory reducer, had it been armed while the agent was compiled, would wake it every 8 s (v8-flags.ts).
    const before = contextSwitches(running.child.pid!);
    await new Promise((r) => setTimeout(r, 20_000));
    expect(contextSwitches(running.child.pid!), running.output().slice(-2000)).toEqual(before);

    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.output()).not.toMatch(/"level":(50|60)/);
  }, 60_000);

  it('`install` lays out the unit and config from its embedded templates, the unit running the executable', async () => {
    const prefix = join(top, 'prefix');
    const r = await runAgent(
      ['install', '--prefix', prefix, '--node-id', '9', '--token', 'tok', '--collector-url', 'http://127.0.0.1:9'],
      env,
      opts(),
    );
    expect(r.code, r.output).toBe(0);
    const unit = readFileSync(join(prefix, 'etc/systemd/system/traffic-agent.service'), 'utf8');
    expect(unit.split('\n').filter((l) => l.startsWith('Exec'))).toEqual([
      `ExecStart=${exe} run --config \${CONFIGURATION_DIRECTORY}/config.json`,
      `ExecReload=${exe} reload --pid $MAINPID`,
    ]);
    const config = JSON.parse(readFileSync(join(prefix, 'etc/traffic-agent/config.json'), 'utf8'));
    expect([config.node.id, config.collector.url]).toEqual([9, 'http://127.0.0.1:9']);
    expect(statSync(join(prefix, 'etc/traffic-agent/node-token')).mode & 0o777).toBe(0o600);
    nothingLeftBehind();
  });

  it('`reload` names a missing process', async () => {
    const r = await runAgent(['reload', '--pid', '2147483646'], env, opts());
    expect(r.code).toBe(1);
    expect(r.output).toContain('cannot signal process 2147483646: no such process');
  });
});
