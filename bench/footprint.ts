/**
 * The agent's footprint as an operator sees it, beside the tools operators compare it with, in one run on the real
 * /proc of this machine:
 *
 *   npm run bench:footprint                               # 1 s ticks/scrapes, 70 s measured
 *   npm run bench:footprint -- --interval 60 --duration 600
 *   npm run bench:footprint -- --node                     # node bin/traffic-agent.js even when the executable exists
 *   npm run bench:footprint -- --agent PATH               # another single executable
 *   npm run bench:footprint -- --warm-cache               # binaries as the page cache holds them
 *   npm run bench:footprint -- --no-traffic               # no traffic link (below)
 *   npm run bench:footprint -- --no-floor                 # no Node floor process (below)
 *
 *   - traffic-agent `run`, ticking every --interval seconds and delivering every tick to a heartbeat collector
 *     stand-in on 127.0.0.1 (in this process: its CPU is not the agent's) that keeps idle connections as long as the
 *     real collector does (COLLECTOR_KEEP_ALIVE_MS). The single executable
 *     build/agent/traffic-agent when `npm run build:agent` made one, else `node bin/traffic-agent.js` (needs
 *     `npm run build`); either way with the Environment= of systemd/traffic-agent.service (NODE_OPTIONS, malloc
 *     settings). State on the disk (real fsync), not tmpfs.
 *   - prometheus-node-exporter --collector.disable-defaults --collector.netdev --collector.loadavg, scraped by this
 *     script every --interval seconds.
 *   - vnstatd with its shortest update interval (2 s: vnstat.conf allows no less) and its own database directory.
 *   - the Node floor (node-floor.cjs): a Node process that asks the kernel for what a tick asks (the same /proc reads,
 *     two durable writes, one heartbeat on a kept connection) with as little JavaScript as it can, under the same node
 *     and environment, delivering to a stand-in of its own. It promises nothing the agent promises; it shows how much
 *     of a tick is Node itself, the limit of any agent written for Node. --no-floor leaves it out.
 *   - traffic on a counted interface (traffic-link.ts: a veth pair into a namespace of the bench's, a small datagram
 *     every 250 ms), so that every tick carries a record as on a node; this machine's own links may not move at all.
 *     Needs root; without it the bench says so and runs on.
 * The Debian packages are installed with apt-get when missing. Each binary is dropped from the page cache before it
 * starts, as after a boot (--warm-cache: not), so that resident memory counts the pages a process uses rather than the
 * neighbours the kernel maps around them in a file a build has just written.
 *
 * Whole-process CPU is utime+stime from /proc/PID/stat (clock ticks of 1/CLK_TCK s: 10 ms here, so the figure is
 * taken over the whole window and over windows of 10 intervals, whose median is printed too). Beside it, the same
 * kernel accounting in nanoseconds: the sum over the process's threads of the run time in /proc/PID/task/TID/schedstat
 * (what /proc/PID/stat rounds down to clock ticks). At 60 s intervals a node_exporter scrape is about one clock tick in
 * ten, so only the nanosecond figure can rank the two there. A thread that exits during the window takes its time with
 * it; the script says when threads exited, or when the figure falls short of /proc/PID/stat's by more than a tick. RSS is VmRSS now (and
 * its median over the run, sampled every second) and the peak VmHWM (from the process start) from /proc/PID/status,
 * with the anonymous and file-backed parts of RSS now (RssAnon, RssFile).
 * The first intervals (start-up, JIT) are left out of the CPU window, never out of the peak.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch } from 'undici';
import { COLLECTOR_KEEP_ALIVE_MS, HEARTBEAT_PATH } from '../src/protocol/heartbeat.js';
import { configObject, TOKEN } from '../test/agent/helpers/agent-cli.js';
import { startHeartbeatServer } from '../test/support/heartbeat-server.js';
import { reportFigures } from './bench-result.js';
import { startTrafficLink, type TrafficLink } from './traffic-link.js';
import { cpuBetween, threadCpuNs } from './process-cpu.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const INTERVAL = arg('interval', 1);
const DURATION = arg('duration', Math.max(70, INTERVAL * 10));
const WARMUP = arg('warmup', Math.max(5, INTERVAL * 2));
if (DURATION < 60) throw new Error('--duration must be at least 60 seconds');
const WINDOW = INTERVAL * 10;
/** How long Prometheus keeps an idle scrape connection (prometheus/common config/http_config.go: 5 minutes). */
const PROMETHEUS_IDLE_CONN_MS = 5 * 60_000;
/** --warm-cache: start the binaries with whatever the page cache holds of them (see asAfterBoot). */
const WARM = process.argv.includes('--warm-cache');
/** --no-traffic: no traffic link; the agent's ticks then carry a record only when this machine's own links move. */
const TRAFFIC = !process.argv.includes('--no-traffic');
/** --no-floor: no Node floor process (node-floor.cjs). */
const FLOOR = !process.argv.includes('--no-floor');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function ensurePackage(bin: string, pkg: string): void {
  if (existsSync(bin)) return;
  console.error(`${bin} missing: apt-get install -y ${pkg}`);
  const r = spawnSync('apt-get', ['install', '-y', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0 || !existsSync(bin)) throw new Error(`could not install ${pkg} (apt-get exit ${r.status})`);
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** utime + stime of the whole process (all threads), in seconds. */
function cpuSec(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // after "pid (comm) ", field 3 (state) is f[0]: utime is field 14 -> f[11], stime field 15 -> f[12]
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function memMB(pid: number): { rss: number; hwm: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
}

function start(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd = REPO): Proc {
  const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', (code, sig) => {
    if (!stopping) console.error(`${name} exited early (${code ?? sig}):\n${out}`);
  });
  return { name, child, output: () => out };
}
let stopping = false;

/** The unit's Environment= assignments (NODE_OPTIONS, the malloc settings): the agent runs here as the unit runs it. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(REPO, 'systemd', 'traffic-agent.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const [, line] of unit.matchAll(/^Environment=(.*)$/gm)) {
    // systemd.exec(5): space-separated assignments, each optionally in double quotes.
    for (const [, quoted, bare] of line.matchAll(/"([^"]*)"|(\S+)/g)) {
      const a = quoted ?? bare;
      const eq = a.indexOf('=');
      if (eq > 0) env[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }
  return env;
}

/**
 * Drops a binary's pages from the page cache, as after a boot (GNU dd: `iflag=nocache count=0` advises the kernel to
 * drop the whole file). A binary just written by a build is wholly in the cache, and the kernel then maps the pages
 * around every page a process touches (fault-around): its resident size would count much of the file it never uses.
 */
function asAfterBoot(file: string): void {
  if (!WARM) spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0'], { stdio: 'ignore' });
}

async function main(): Promise<void> {
  ensurePackage('/usr/bin/prometheus-node-exporter', 'prometheus-node-exporter');
  ensurePackage('/usr/sbin/vnstatd', 'vnstat');
  const given = process.argv.indexOf('--agent');
  const sea = given >= 0 ? resolve(process.argv[given + 1]) : join(REPO, 'build', 'agent', 'traffic-agent');
  const script = join(REPO, 'bin', 'traffic-agent.js');
  if (!existsSync(sea) && !existsSync(join(REPO, 'dist', 'agent', 'cli.js')))
    throw new Error('no built agent: run `npm run build:agent` (single executable) or `npm run build` first');
  // FOOTPRINT_NODE_OPTIONS tries other V8 flags (or --cpu-prof) without editing the unit.
  const unitEnv = unitEnvironment();
  const nodeOptions = process.env.FOOTPRINT_NODE_OPTIONS ?? unitEnv.NODE_OPTIONS ?? '';
  const agentCmd =
    existsSync(sea) && !process.argv.includes('--node')
      ? { cmd: sea, args: [] as string[], what: `${sea} (single executable)` }
      : {
          cmd: process.execPath,
          args: [...(process.env.FOOTPRINT_NODE_ARGS?.split(' ').filter(Boolean) ?? []), script],
          what: `node ${script}`,
        };

  // State on the disk, as on a node: /var/tmp, not the tmpfs some machines mount on /tmp.
  const dir = await mkdtemp(join(existsSync('/var/tmp') ? '/var/tmp' : tmpdir(), 'ta-footprint-'));
  // Idle connections kept as long as the real collector keeps them: at 60 s ticks the agent then reuses its connection,
  // as it does on a node (Node's default of 5 s would make it open and close one every tick).
  const collector = await startHeartbeatServer({ token: TOKEN, keepAliveTimeoutMs: COLLECTOR_KEEP_ALIVE_MS });
  const floorCollector = FLOOR
    ? await startHeartbeatServer({ token: TOKEN, keepAliveTimeoutMs: COLLECTOR_KEEP_ALIVE_MS })
    : null;
  const procs: Proc[] = [];
  let link: TrafficLink | null = null;
  let linkNote: string;
  try {
    // Traffic on a counted interface, started before the agent counts its interfaces: on a node every tick carries a
    // record (its digest, the outbox, the rollups, a longer state and heartbeat); on an idle build machine none would.
    try {
      link = TRAFFIC ? await startTrafficLink({ everyMs: 250, bytes: 200 }) : null;
      linkNote = link ? `traffic: ${link.describe}` : 'traffic: none (--no-traffic)';
    } catch (err) {
      linkNote = `traffic: none (${(err as Error).message}): ticks carry a record only when this machine's links move`;
      console.error(`bench: ${linkNote}`);
    }
    const cfgFile = join(dir, 'agent.json');
    const cfg = configObject({
      url: collector.url,
      stateDir: join(dir, 'state'),
      procRoot: '/proc',
      heartbeatIntervalSec: INTERVAL,
      counterBits: 'auto',
    });
    await writeFile(cfgFile, JSON.stringify({ ...cfg, log: { level: 'warn' } }, null, 2));
    const agentEnv: NodeJS.ProcessEnv = { ...process.env, ...unitEnv, NODE_OPTIONS: nodeOptions };
    const shownEnv = `${Object.entries({ ...unitEnv, NODE_OPTIONS: nodeOptions })
      .map(([k, v]) => `${k}=${v}`)
      .join(
        ' ',
      )}; binaries ${WARM ? 'as the page cache held them' : 'started as after a boot (dropped from the page cache)'}`;
    for (const k of [
      'TRAFFIC_AGENT_TOKEN',
      'CREDENTIALS_DIRECTORY',
      'STATE_DIRECTORY',
      'NOTIFY_SOCKET',
      'WATCHDOG_USEC',
      'WATCHDOG_PID',
    ])
      delete agentEnv[k];
    asAfterBoot(agentCmd.cmd);
    asAfterBoot('/usr/bin/prometheus-node-exporter');
    asAfterBoot('/usr/sbin/vnstatd');
    const agent = start('traffic-agent', agentCmd.cmd, [...agentCmd.args, 'run', '-c', cfgFile], agentEnv, dir);
    procs.push(agent);

    const nePort = await freePort();
    const ne = start('node_exporter', '/usr/bin/prometheus-node-exporter', [
      '--collector.disable-defaults',
      '--collector.netdev',
      '--collector.loadavg',
      `--web.listen-address=127.0.0.1:${nePort}`,
    ]);
    procs.push(ne);

    const vnDir = join(dir, 'vnstat');
    await writeFile(
      join(dir, 'vnstat.conf'),
      `DatabaseDir "${vnDir}"\nUpdateInterval 2\nPollInterval 2\nSaveInterval 1\nAlwaysAddNewInterfaces 1\nUseLogging 0\n`,
    );
    await mkdir(vnDir, { recursive: true });
    const vn = start('vnstatd', '/usr/sbin/vnstatd', ['-n', '--config', join(dir, 'vnstat.conf')], process.env, dir);
    procs.push(vn);

    // The Node floor: this node, the agent's environment, a config and state files in a directory of its own.
    if (floorCollector) {
      const floorDir = join(dir, 'floor');
      await mkdir(floorDir, { recursive: true });
      const floorCfg = join(floorDir, 'floor.json');
      await writeFile(
        floorCfg,
        JSON.stringify({ ...cfg, collector: { ...(cfg.collector as object), url: floorCollector.url } }),
      );
      procs.push(
        start(
          'node floor',
          process.execPath,
          [join(REPO, 'bench', 'node-floor.cjs'), floorCfg, HEARTBEAT_PATH],
          agentEnv,
          dir,
        ),
      );
    }

    // Scrape node_exporter every interval, as Prometheus would: on one kept-alive connection (Prometheus keeps idle
    // scrape connections 5 minutes, prometheus/common's http_config; fetch's default pool would close it after 4 s
    // and make node_exporter accept a new connection every 60 s scrape).
    const scrapePool = new Agent({
      keepAliveTimeout: PROMETHEUS_IDLE_CONN_MS,
      keepAliveMaxTimeout: PROMETHEUS_IDLE_CONN_MS,
    });
    let scrapes = 0;
    let scrapeErrors = 0;
    let scraping = true;
    const scraper = (async () => {
      let next = Date.now();
      while (scraping) {
        try {
          const r = await fetch(`http://127.0.0.1:${nePort}/metrics`, { dispatcher: scrapePool });
          const body = await r.text();
          if (r.ok && body.includes('node_network_receive_bytes_total')) scrapes++;
          else scrapeErrors++;
        } catch {
          scrapeErrors++;
        }
        next += INTERVAL * 1000;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();

    const deadline = Date.now() + 60_000;
    while (collector.counters.answered === 0 || scrapes === 0 || floorCollector?.counters.answered === 0) {
      if (Date.now() > deadline)
        throw new Error(`no heartbeat, no scrape or no floor heartbeat within 60 s\n${agent.output()}\n${ne.output()}`);
      for (const p of procs) if (p.child.exitCode !== null) throw new Error(`${p.name} exited:\n${p.output()}`);
      await sleep(100);
    }
    await sleep(WARMUP * 1000);

    const pids = procs.map((p) => p.child.pid!);
    const cpu0 = pids.map(cpuSec);
    const threads0 = pids.map(threadCpuNs);
    const beats0 = collector.counters.answered;
    const floorBeats0 = floorCollector?.counters.answered ?? 0;
    const conns0 = collector.counters.connections;
    const records0 = collector.sums().records;
    const scrapes0 = scrapes;
    const t0 = Date.now();
    const rssSamples: number[][] = pids.map(() => []);
    const windows: number[][] = pids.map(() => []);
    let winStart = t0;
    let winCpu = cpu0;
    console.error(
      `measuring ${DURATION} s at ${INTERVAL} s intervals (agent: ${agentCmd.what}, environment ${shownEnv})`,
    );
    while (Date.now() - t0 < DURATION * 1000) {
      await sleep(1000);
      pids.forEach((pid, i) => rssSamples[i].push(memMB(pid).rss));
      if (Date.now() - winStart >= WINDOW * 1000) {
        const now = pids.map(cpuSec);
        const secs = (Date.now() - winStart) / 1000;
        pids.forEach((_, i) => windows[i].push(((now[i] - winCpu[i]) / (secs / INTERVAL)) * 1000));
        winStart = Date.now();
        winCpu = now;
      }
    }
    const elapsed = (Date.now() - t0) / 1000;
    const cpu1 = pids.map(cpuSec);
    const threads1 = pids.map(threadCpuNs);
    const mem = pids.map(memMB);
    const beats = collector.counters.answered - beats0;
    const floorBeats = (floorCollector?.counters.answered ?? 0) - floorBeats0;
    const beatConnections = collector.counters.connections - conns0;
    const deliveredInWindow = collector.sums().records - records0;
    const scrapesDone = scrapes - scrapes0;
    scraping = false;
    await scraper;
    await scrapePool.close();

    const rows = procs.map((p, i) => {
      const cpu = cpu1[i] - cpu0[i];
      // per tick for the agent, per scrape for node_exporter (both = elapsed / interval), per update for vnstatd (2 s)
      const per = p.name === 'vnstatd' ? elapsed / 2 : elapsed / INTERVAL;
      const precise = cpuBetween(threads0[i], threads1[i]);
      return {
        process: p.name,
        cpuMsPer: (cpu / per) * 1000,
        cpuMsPerNs: (precise.sec / per) * 1000,
        threadsExited: precise.exited,
        // Below /proc/PID/stat (which keeps what exited threads ran) by more than its rounding (utime and stime are
        // each rounded down at both ends of the window: up to two clock ticks): threads came and went.
        schedstatShort: precise.sec < cpu - 2 / CLK_TCK,
        windowMedianMs: p.name === 'vnstatd' ? (median(windows[i]) * 2) / INTERVAL : median(windows[i]),
        corePercent: (cpu / elapsed) * 100,
        rssNowMB: mem[i].rss,
        rssMedianMB: median(rssSamples[i]),
        rssPeakMB: mem[i].hwm,
        rssAnonMB: mem[i].anon,
        rssFileMB: mem[i].file,
      };
    });
    const [a, n] = rows;
    const floorRow = rows.find((r) => r.process === 'node floor');
    const sums = collector.sums();
    const result = {
      when: new Date().toISOString(),
      interval: INTERVAL,
      elapsedSec: Number(elapsed.toFixed(1)),
      agent: agentCmd.what,
      nodeOptions,
      heartbeatsAnswered: beats,
      heartbeatConnections: beatConnections,
      floorHeartbeatsAnswered: floorCollector ? floorBeats : null,
      scrapes: scrapesDone,
      scrapeErrors,
      deliveredRecords: sums.records,
      deliveredRecordsInWindow: deliveredInWindow,
      traffic: link?.describe ?? null,
      rows,
      ratios: {
        cpuAgentOverNodeExporter: a.cpuMsPer / n.cpuMsPer,
        cpuAgentOverNodeExporterNs: a.cpuMsPerNs / n.cpuMsPerNs,
        rssAgentOverNodeExporter: a.rssNowMB / n.rssNowMB,
        cpuAgentOverNodeFloorNs: floorRow ? a.cpuMsPerNs / floorRow.cpuMsPerNs : null,
      },
    };
    const f = (x: number, d = 2) => x.toFixed(d);
    console.log(
      `\nfootprint, ${f(elapsed, 0)} s at ${INTERVAL} s intervals on the real /proc (${new Date().toISOString()})`,
    );
    console.log(
      `agent: ${agentCmd.what}, environment ${shownEnv}; heartbeats answered ${beats} (new connections ${beatConnections}), scrapes ${scrapesDone}` +
        (floorCollector ? `, node floor heartbeats answered ${floorBeats}` : ''),
    );
    console.log(`${linkNote}; records delivered ${sums.records} (${deliveredInWindow} in the window)`);
    console.log('');
    console.log(
      '| process | CPU ms per tick/scrape/update | median of 10-interval windows | CPU ms per tick, from schedstat (ns) | % of a core | RSS now / median / peak (MB) |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const r of rows)
      console.log(
        `| ${r.process} | ${f(r.cpuMsPer)} | ${f(r.windowMedianMs)} | ${f(r.cpuMsPerNs, 3)}${r.threadsExited ? ` (${r.threadsExited} threads exited)` : ''}${r.schedstatShort ? ' (short of /proc/PID/stat: threads came and went)' : ''} | ${f(r.corePercent, 3)} | ${f(r.rssNowMB, 1)} / ${f(r.rssMedianMB, 1)} / ${f(r.rssPeakMB, 1)} |`,
      );
    console.log(
      `RSS now, anonymous + file-backed (the executable's and libraries' pages) MB: ${rows.map((r) => `${r.process} ${f(r.rssAnonMB, 1)} + ${f(r.rssFileMB, 1)}`).join(', ')}`,
    );
    console.log('');
    console.log(
      `agent / node_exporter: CPU ${f(result.ratios.cpuAgentOverNodeExporter)}x (from schedstat: ${f(result.ratios.cpuAgentOverNodeExporterNs)}x), RSS ${f(result.ratios.rssAgentOverNodeExporter)}x` +
        `; goals: CPU <= 1.00x, RSS <= 60 MB steady (${a.rssMedianMB <= 60 ? 'met' : 'not met'}), peak <= 70 MB (${a.rssPeakMB <= 70 ? 'met' : 'not met'})`,
    );
    if (result.ratios.cpuAgentOverNodeFloorNs !== null)
      console.log(
        `agent / node floor (the same kernel work under Node, minimal JavaScript): CPU ${f(result.ratios.cpuAgentOverNodeFloorNs)}x from schedstat`,
      );
    console.log(
      `(vnstatd updates every 2 s, its shortest; CPU is from /proc/PID/stat in ${1000 / CLK_TCK} ms clock ticks, and the same accounting in ns from /proc/PID/task/*/schedstat)`,
    );
    if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
    reportFigures('footprint', [
      { name: 'agent / node_exporter CPU', value: result.ratios.cpuAgentOverNodeExporter, unit: 'x', goal: { max: 1 } },
      {
        name: 'agent / node_exporter CPU, from schedstat',
        value: result.ratios.cpuAgentOverNodeExporterNs,
        unit: 'x',
        goal: { max: 1 },
      },
      { name: 'agent RSS, steady (median)', value: a.rssMedianMB, unit: 'MB', goal: { max: 60 } },
      { name: 'agent RSS, peak', value: a.rssPeakMB, unit: 'MB', goal: { max: 70 } },
    ]);
  } finally {
    stopping = true;
    for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    }, 10_000);
    await Promise.all(
      procs.map((p) => (p.child.exitCode === null ? new Promise((r) => p.child.once('exit', r)) : null)),
    );
    clearTimeout(killer);
    await collector.close();
    await floorCollector?.close();
    await link?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
