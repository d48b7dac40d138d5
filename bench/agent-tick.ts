/**
 * What one agent tick costs, against what any tool must pay.
 *
 *   npx tsx bench/agent-tick.ts [--ticks 2000] [--disk-ticks 1000] [--daemon-sec 10]
 *
 * A realistic fixture /proc (20 interfaces, counters in the terabytes, growing every tick), the agent wired exactly
 * as `run` wires it (openAgentProcess: config, accounting, state store, heartbeat sink), and a collector stand-in on
 * 127.0.0.1 in a child process (so its CPU is not ours) that acknowledges every heartbeat: each tick samples,
 * accounts, persists, and delivers.
 *
 * Per tick it measures process.cpuUsage() around
 *   - raw:    readFile(/proc/net/dev) + parseNetDev: the floor, what any tool reading the counters pays;
 *   - tick:   runtime.tick() = read net/dev, boot id, btime, uptime, loadavg + account + persist (state.json + .bak);
 *   - tick+deliver: the above plus one heartbeat round trip and its acknowledgement.
 * Persisting runs twice: with the state on tmpfs (/dev/shm: fsync costs nothing, so "fsync excluded") and on the
 * disk (real fsync of two files and their directory). RSS is process.memoryUsage().rss after every tick.
 * Last, the real daemon (`node bin/traffic-agent.js run`, 50 ms ticks, needs `npm run build`) runs for a while on the
 * same fixture: its own CPU per tick and peak RSS (VmHWM) from /proc.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openAgentProcess } from '../src/agent/daemon/agent-process.js';
import { accountTick } from '../src/agent/accounting/account-tick.js';
import { accountingSettings } from '../src/agent/daemon/accounting-settings.js';
import { parseNetDev } from '../src/agent/sources/net-dev.js';
import { encodeState } from '../src/agent/state/state-codec.js';
import { StateStore } from '../src/agent/state/state-store.js';
import { ProcFixture, type Counters } from '../test/support/proc-fixture.js';
import { reportFigures } from './bench-result.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..');
const TOKEN = 'bench-token';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

// ---------------------------------------------------------------------------------------------- helpers
interface Collector {
  url: string;
  sums(): Promise<{ rx: string; tx: string; records: number; requests: number }>;
  stop(): Promise<void>;
}

async function startCollector(): Promise<Collector> {
  const child = fork(fileURLToPath(import.meta.url), ['--collector'], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((r) => child.once('message', (m: { url: string }) => r(m.url)));
  return {
    url,
    sums: () =>
      new Promise((r) => {
        child.once('message', (m) => r(m as never));
        child.send('sums');
      }),
    stop: () =>
      new Promise((r) => {
        child.once('exit', () => r());
        child.send('stop');
      }),
  };
}

/** 20 interfaces as a busy proxy node has them: uplinks, a bond and its members, bridges, veths, tunnels, lo. */
const NAMES = [
  'lo',
  'eth0',
  'eth1',
  'ens3',
  'ens4',
  'bond0',
  'br0',
  'br-1a2b3c4d',
  'docker0',
  'veth0a1b2c3',
  'veth4d5e6f7',
  'veth8a9b0c1',
  'wg0',
  'tun0',
  'virbr0',
  'vnet0',
  'vnet1',
  'ifb0',
  'eth0.100',
  'eth0:1',
];

function initialCounters(): Record<string, Counters> {
  const out: Record<string, Counters> = {};
  NAMES.forEach(
    (n, i) =>
      (out[n] = {
        rx: 1_000_000_000_000n * BigInt(i + 1) + 123_456_789n,
        tx: 700_000_000_000n * BigInt(i + 1) + 987_654_321n,
      }),
  );
  return out;
}

function grow(c: Record<string, Counters>, tick: number): void {
  NAMES.forEach((n, i) => {
    c[n].rx += BigInt(100_000 + ((tick * 7919 + i * 104_729) % 5_000_000));
    c[n].tx += BigInt(50_000 + ((tick * 6271 + i * 7_727) % 3_000_000));
  });
}

const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

interface Series {
  /** The tick's parts, measured apart on the same data: sample (5 /proc reads), account (pure), encode, save (2 atomic files). */
  parts: { sample: number[]; account: number[]; encode: number[]; save: number[] };
  raw: number[];
  tick: number[];
  tickWall: number[];
  full: number[];
  rss: number[];
}

/** A fixture node for the bench: /proc tree, state dir and agent config under a new dir in `parent`. */
async function benchNode(parent: string, collector: Collector, extra: Record<string, unknown>) {
  const work = await mkdtemp(join(parent, 'ta-bench-'));
  const counters = initialCounters();
  const fx = await ProcFixture.create({ interfaces: counters, uptimeSec: 1000, load: [0.42, 0.35, 0.3] }, work);
  const cfgPath = join(work, 'agent.json');
  await writeFile(
    cfgPath,
    JSON.stringify({
      node: { id: 1, token: TOKEN },
      collector: { url: collector.url, timeoutMs: 5000 },
      stateDir: join(work, 'state'),
      procRoot: fx.root,
      // the defaults a real node would use: lo and the virtual interfaces excluded, 64-bit counters
      interfaces: { exclude: ['lo*', 'docker*', 'veth*', 'br-*', 'virbr*', 'vnet*', 'tun*', 'ifb*', 'wg*'] },
      counterBits: 64,
      ...extra,
    }),
  );
  return { work, counters, fx, cfgPath };
}

async function runInProcess(
  label: string,
  stateParent: string,
  ticks: number,
  warmup: number,
  collector: Collector,
): Promise<Series> {
  const { work, counters, fx, cfgPath } = await benchNode(stateParent, collector, {
    heartbeatIntervalSec: 60,
    log: { level: 'silent' },
  });
  const proc = openAgentProcess(cfgPath, 'silent');
  await proc.open();
  const netDev = join(fx.root, 'net', 'dev');
  const s: Series = {
    parts: { sample: [], account: [], encode: [], save: [] },
    raw: [],
    tick: [],
    tickWall: [],
    full: [],
    rss: [],
  };
  const settings = accountingSettings(proc.cfg);
  const spare = new StateStore(join(work, 'spare-state'));
  await spare.load(Date.now()); // creates the directory
  let uptime = 1000;
  for (let t = 0; t < warmup + ticks; t++) {
    grow(counters, t);
    uptime += 1;
    await fx.setInterfaces(counters);
    if (t % 50 === 0) await fx.update({ uptimeSec: uptime });

    let c = process.cpuUsage();
    parseNetDev(await readFile(netDev, 'utf8'));
    const raw = ms(process.cpuUsage(c));

    c = process.cpuUsage();
    const w = performance.now();
    await proc.tick();
    const tick = ms(process.cpuUsage(c));
    const tickWall = performance.now() - w;
    const c2 = process.cpuUsage();
    await proc.dispatcher.deliver({ drain: true });
    const deliver = ms(process.cpuUsage(c2));

    // the same work again, part by part (not part of the tick figures above)
    let p = process.cpuUsage();
    const outcome = await proc.readSample();
    const sampleMs = ms(process.cpuUsage(p));
    p = process.cpuUsage();
    const next = accountTick(proc.ledger.snapshot!, outcome.sample, settings).state;
    const accountMs = ms(process.cpuUsage(p));
    p = process.cpuUsage();
    encodeState(next);
    const encodeMs = ms(process.cpuUsage(p));
    p = process.cpuUsage();
    await spare.save(next);
    const saveMs = ms(process.cpuUsage(p));

    if (t >= warmup) {
      s.parts.sample.push(sampleMs);
      s.parts.account.push(accountMs);
      s.parts.encode.push(encodeMs);
      s.parts.save.push(saveMs);
      s.raw.push(raw);
      s.tick.push(tick);
      s.tickWall.push(tickWall);
      s.full.push(tick + deliver);
      s.rss.push(process.memoryUsage().rss / 1e6);
    }
  }
  await proc.ledger.flush();
  for (const sink of proc.dispatcher.activeSinks) await sink.close();
  const pending = proc.ledger.snapshot?.outbox.length ?? -1;
  const totals = proc.ledger.snapshot?.totals;
  const got = await collector.sums();
  if (pending !== 0) throw new Error(`${label}: ${pending} records still pending at the end`);
  console.log(
    `  ${label}: ${ticks} ticks measured (+${warmup} warm-up), state in ${join(work, 'state')}; agent totals rx ${totals?.rx}, collector holds ${got.records} records`,
  );
  await fx.remove();
  await rm(work, { recursive: true, force: true });
  return s;
}

/** The real daemon on the same kind of fixture: CPU per tick and peak RSS from /proc/<pid>. */
async function runDaemon(
  seconds: number,
  collector: Collector,
): Promise<{
  ticks: number;
  cpuMsPerTick: number;
  hwmMb: number;
  rssMb: number;
  delivered: number;
  rawCpuMsPerTick: number;
  rawRssMb: number;
} | null> {
  if (!existsSync(join(REPO, 'dist', 'agent', 'cli.js'))) return null;
  const intervalSec = 0.05;
  const { work, counters, fx, cfgPath } = await benchNode('/dev/shm', collector, {
    heartbeatIntervalSec: intervalSec,
    hostFactsRefreshSec: 3600,
    log: { level: 'warn' },
  });
  const child = spawn(process.execPath, [join(REPO, 'bin', 'traffic-agent.js'), 'run', '-c', cfgPath], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // The floor in the same form, at the same time: a bare node process reading and splitting net/dev every 50 ms.
  const rawLoop = `import { readFile } from 'node:fs/promises'; setInterval(async () => { (await readFile(${JSON.stringify(join(fx.root, 'net', 'dev'))}, 'utf8')).split('\\n').map((l) => l.trim().split(/\\s+/)); }, ${intervalSec * 1000});`;
  const raw = spawn(process.execPath, ['--input-type=module', '-e', rawLoop], { stdio: 'ignore' });
  const clk = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const cpuOf = async (pid: number | undefined) => {
    const f = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / clk; // utime + stime, seconds
  };
  const cpuTicks = () => cpuOf(child.pid);
  const statusOf = async (pid: number | undefined, key: string) =>
    Number(new RegExp(`${key}:\\s+(\\d+)`).exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  const status = (key: string) => statusOf(child.pid, key);
  // let it start (module loading is not a tick), then measure
  for (let i = 0; i < 100 && !existsSync(join(work, 'state', 'state.json')); i++)
    await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1000));
  const before = await collector.sums();
  const cpu0 = await cpuTicks();
  const rawCpu0 = await cpuOf(raw.pid);
  const t0 = Date.now();
  let t = 0;
  while (Date.now() - t0 < seconds * 1000) {
    grow(counters, t++);
    await fx.setInterfaces(counters);
    await new Promise((r) => setTimeout(r, intervalSec * 1000));
  }
  const cpu1 = await cpuTicks();
  const rawCpu1 = await cpuOf(raw.pid);
  const rawRssMb = await statusOf(raw.pid, 'VmRSS');
  raw.kill('SIGKILL');
  const elapsed = (Date.now() - t0) / 1000;
  const after = await collector.sums();
  const hwmMb = await status('VmHWM');
  const rssMb = await status('VmRSS');
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  await fx.remove();
  await rm(work, { recursive: true, force: true });
  const ticks = Math.round(elapsed / intervalSec);
  return {
    ticks,
    cpuMsPerTick: ((cpu1 - cpu0) * 1000) / ticks,
    hwmMb,
    rssMb,
    delivered: after.requests - before.requests,
    rawCpuMsPerTick: ((rawCpu1 - rawCpu0) * 1000) / ticks,
    rawRssMb,
  };
}

function row(name: string, v: number[]): string {
  return `  ${name.padEnd(34)} median ${pct(v, 50).toFixed(3).padStart(7)} ms   p99 ${pct(v, 99).toFixed(3).padStart(7)} ms   mean ${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(3).padStart(7)} ms`;
}

async function main(): Promise<void> {
  const ticks = arg('ticks', 2000);
  const diskTicks = arg('disk-ticks', 1000);
  const daemonSec = arg('daemon-sec', 10);
  const diskParent = process.env.BENCH_DISK_DIR ?? (existsSync('/var/tmp') ? '/var/tmp' : tmpdir());
  console.log(`agent tick benchmark: ${NAMES.length} interfaces, node ${process.version}, ${process.arch}`);
  const collector = await startCollector();
  try {
    const tmpfs = await runInProcess('tmpfs (/dev/shm, fsync free)', '/dev/shm', ticks, 200, collector);
    const disk = await runInProcess(`disk (${diskParent}, real fsync)`, diskParent, diskTicks, 50, collector);
    const daemon = await runDaemon(daemonSec, collector);

    console.log('\nCPU per tick (process.cpuUsage, user+system):');
    console.log(row('raw: read + parse /proc/net/dev', tmpfs.raw));
    console.log(row('agent tick, tmpfs (fsync excluded)', tmpfs.tick));
    console.log(row('agent tick + delivery, tmpfs', tmpfs.full));
    console.log(row('agent tick, disk (with fsync)', disk.tick));
    console.log(row('agent tick + delivery, disk', disk.full));
    console.log('  the tick in parts (tmpfs, measured apart on the same data):');
    console.log(row('  sample: 5 /proc files', tmpfs.parts.sample));
    console.log(row('  account (pure)', tmpfs.parts.account));
    console.log(row('  encode (JSON + sha256)', tmpfs.parts.encode));
    console.log(row('  save: state.json + .bak, atomic', tmpfs.parts.save));
    console.log('wall time per tick:');
    console.log(row('agent tick, tmpfs', tmpfs.tickWall));
    console.log(row('agent tick, disk (fsync wait)', disk.tickWall));
    const ratio = pct(tmpfs.tick, 50) / pct(tmpfs.raw, 50);
    const rssMax = Math.max(...tmpfs.rss, ...disk.rss);
    console.log('\nresident memory (this process, which also holds tsx):');
    console.log(
      `  RSS after warm-up ${tmpfs.rss[0].toFixed(1)} MB, at the end ${disk.rss.at(-1)!.toFixed(1)} MB, max ${rssMax.toFixed(1)} MB`,
    );
    if (daemon) {
      console.log(
        `real daemon (bin/traffic-agent.js run, 50 ms ticks, ~${daemon.ticks} ticks, ${daemon.delivered} heartbeats acknowledged): CPU ${daemon.cpuMsPerTick.toFixed(3)} ms/tick (timers, GC, delivery included), peak RSS ${daemon.hwmMb.toFixed(1)} MB, RSS ${daemon.rssMb.toFixed(1)} MB`,
      );
      console.log(
        `  beside it, a bare node loop reading + splitting net/dev every 50 ms: CPU ${daemon.rawCpuMsPerTick.toFixed(3)} ms/tick, RSS ${daemon.rawRssMb.toFixed(1)} MB (ratio ${(daemon.cpuMsPerTick / daemon.rawCpuMsPerTick).toFixed(1)}x)`,
      );
    } else {
      console.log('real daemon: skipped (dist/ missing: run `npm run build` first)');
    }
    console.log(`\nratio agent tick / raw read+parse (median, tmpfs): ${ratio.toFixed(1)}x`);
    const cpuOk = pct(tmpfs.tick, 50) < 1;
    const rssOk = rssMax < 60 && (!daemon || daemon.hwmMb < 60);
    console.log(
      `goal: < 1 ms CPU per tick, persisting included, fsync excluded: ${cpuOk ? 'met' : 'MISSED'} by the measured tick (median ${pct(tmpfs.tick, 50).toFixed(3)} ms, p99 ${pct(tmpfs.tick, 99).toFixed(3)} ms)` +
        (daemon
          ? `; ${daemon.cpuMsPerTick < 1 ? 'met' : 'MISSED'} by the running daemon all-in (${daemon.cpuMsPerTick.toFixed(3)} ms/tick, delivery and idle work included)`
          : ''),
    );
    reportFigures('agent-tick', [
      { name: 'agent tick CPU, persisting (tmpfs), median', value: pct(tmpfs.tick, 50), unit: 'ms', goal: { max: 1 } },
      ...(daemon
        ? [{ name: 'agent daemon CPU per tick, all-in', value: daemon.cpuMsPerTick, unit: 'ms', goal: { max: 1 } }]
        : []),
      { name: 'agent RSS, max', value: Math.max(rssMax, daemon?.hwmMb ?? 0), unit: 'MB', goal: { max: 60 } },
    ]);
    console.log(
      `goal: < 60 MB RSS: ${rssOk ? 'met' : 'MISSED'} (bench process max ${rssMax.toFixed(1)} MB${daemon ? `, daemon peak ${daemon.hwmMb.toFixed(1)} MB` : ''})`,
    );
  } finally {
    await collector.stop();
  }
}

// ---------------------------------------------------------------------------------------------- collector child
if (process.argv.includes('--collector')) {
  const { startHeartbeatServer } = await import('../test/support/heartbeat-server.js');
  const server = await startHeartbeatServer({ token: TOKEN });
  process.send!({ url: server.url });
  process.on('message', (m) => {
    if (m === 'sums') {
      const s = server.sums();
      process.send!({
        rx: s.rx.toString(),
        tx: s.tx.toString(),
        records: s.records,
        requests: server.counters.requests,
      });
    }
    if (m === 'stop') void server.close().then(() => process.exit(0));
  });
} else {
  await main();
}
