/**
 * npm run bench:flood — the collector under a push flood, as an operator would see it.
 *
 * A real collector (bin/traffic-collector.js, production defaults, SQLite) on 127.0.0.1 and a real agent
 * (bin/traffic-agent.js run) heartbeating every second through a timing relay (so each heartbeat's round trip is
 * measured where the agent sees it). Three phases of 20 s each (FLOOD_SECONDS):
 *   idle    no flood: the baseline the other phases are compared with (ratios);
 *   unauth  FLOOD_CLIENTS clients each sending 32 MiB pushes with a wrong token, one after another;
 *   auth    FLOOD_CLIENTS clients each sending the largest push the collector accepts (maxUsersPerPush users,
 *           padded to just under pushBodyLimitBytes) with the node's token.
 * Meanwhile /healthz is asked every 50 ms. Prints per phase: /healthz p50/p99, heartbeat p50/p99, the collector's
 * peak RSS (VmRSS from /proc/PID/status sampled every 50 ms; VmHWM at the end), and the floods' answers.
 * Goals (issue 10): under unauth, /healthz p99 < 50 ms and heartbeat p99 < 250 ms; under auth, peak RSS < 300 MB.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startAgent } from '../test/support/agent-binary.js';
import { startCollector } from '../test/support/collector-process.js';
import { ProcFixture } from '../test/support/proc-fixture.js';
import { reportFigures } from './bench-result.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 20);
const CLIENTS = Number(process.env.FLOOD_CLIENTS ?? 4);
const MAX_USERS = 100_000;
const PUSH_LIMIT = 32 * 1024 * 1024;

const pct = (xs: number[], p: number) => {
  if (!xs.length) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (v: number) => `${v.toFixed(1)} ms`;
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
const procKb = (pid: number, key: 'VmRSS' | 'VmHWM') =>
  Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** Relays the agent's requests to the collector and times each heartbeat's round trip. */
function timingRelay(target: number): Promise<{ port: number; take(): number[]; statuses: Map<number, number> }> {
  let times: number[] = [];
  const statuses = new Map<number, number>();
  const server = createServer((req, res) => {
    const start = performance.now();
    const up = request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          if (req.url?.startsWith('/api/v1/agent/heartbeat')) {
            times.push(performance.now() - start);
            statuses.set(answer.statusCode ?? 0, (statuses.get(answer.statusCode ?? 0) ?? 0) + 1);
          }
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve({
        port: (server.address() as AddressInfo).port,
        take: () => {
          const t = times;
          times = [];
          return t;
        },
        statuses,
      });
    }),
  );
}

async function probeHealthz(port: number, untilMs: number): Promise<{ times: number[]; bad: number }> {
  const times: number[] = [];
  let bad = 0;
  while (Date.now() < untilMs) {
    const start = performance.now();
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      await r.arrayBuffer();
      if (r.status !== 200) bad++;
    } catch {
      bad++;
    }
    times.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { times, bad };
}

function flood(
  mode: 'unauth' | 'auth',
  port: number,
  node: { id: number; token: string },
): Promise<{ statuses: Record<string, number>; bodyBytes: number }> {
  const child = fork(
    fileURLToPath(new URL('./collector-flood-client.ts', import.meta.url)),
    [
      mode,
      String(port),
      String(node.id),
      node.token,
      String(CLIENTS),
      String(SECONDS),
      String(MAX_USERS),
      String(PUSH_LIMIT),
    ],
    { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as { statuses: Record<string, number>; bodyBytes: number }));
    child.once('exit', (code) => code && reject(new Error(`flood client exited ${code}`)));
  });
}

async function main(): Promise<void> {
  const collector = await startCollector({
    config: { maxEventLoopDelayMs: 1000, logLevel: 'warn', maxUsersPerPush: MAX_USERS, pushBodyLimitBytes: PUSH_LIMIT },
  });
  const pid = collector.child.pid as number;
  const node = await collector.addNode({ name: 'flood-agent' });
  const relay = await timingRelay(collector.port);
  const fx = await ProcFixture.create({ interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 1000n, tx: 1000n } } });
  const dir = mkdtempSync(join(tmpdir(), 'tc-flood-'));
  const cfg = join(dir, 'agent.json');
  writeFileSync(
    cfg,
    JSON.stringify({
      node: { id: node.id, token: node.token },
      collector: { url: `http://127.0.0.1:${relay.port}`, timeoutMs: 10_000 },
      stateDir: join(dir, 'state'),
      procRoot: fx.root,
      heartbeatIntervalSec: 1,
      log: { level: 'warn' },
    }),
  );
  const agent = startAgent(['run', '-c', cfg]);
  const grow = setInterval(() => void fx.grow('eth0', 1000n, 2000n), 500);
  await new Promise((r) => setTimeout(r, 3000));
  relay.take();

  const rows: string[] = [];
  const figures: Parameters<typeof reportFigures>[1] = [];
  let idle: { h99: number; b99: number } | undefined;
  try {
    for (const phase of ['idle', 'unauth', 'auth'] as const) {
      const end = Date.now() + SECONDS * 1000;
      let peak = 0;
      const rss = setInterval(() => {
        peak = Math.max(peak, procKb(pid, 'VmRSS'));
      }, 50);
      relay.statuses.clear();
      const [health, fl] = await Promise.all([
        probeHealthz(collector.port, end),
        phase === 'idle' ? Promise.resolve(undefined) : flood(phase, collector.port, node),
      ]);
      clearInterval(rss);
      const beats = relay.take();
      const h50 = pct(health.times, 50);
      const h99 = pct(health.times, 99);
      const b50 = pct(beats, 50);
      const b99 = pct(beats, 99);
      if (phase === 'idle') idle = { h99, b99 };
      figures.push(
        {
          name: `flood ${phase}: /healthz p99`,
          value: h99,
          unit: 'ms',
          ...(phase === 'unauth' ? { goal: { max: 50 } } : {}),
        },
        {
          name: `flood ${phase}: heartbeat p99`,
          value: b99,
          unit: 'ms',
          ...(phase === 'idle' ? {} : { goal: { max: 250 } }),
        },
      );
      if (phase === 'auth')
        figures.push({ name: 'flood auth: collector peak RSS', value: peak / 1024, unit: 'MB', goal: { max: 300 } });
      const ratio = (v: number, base: number | undefined) => (base ? ` (x${(v / base).toFixed(1)} idle)` : '');
      rows.push(
        [
          `${phase.padEnd(6)} /healthz p50 ${ms(h50)} p99 ${ms(h99)}${phase === 'idle' ? '' : ratio(h99, idle?.h99)} (${health.times.length} asked, ${health.bad} not 200)`,
          `       heartbeat p50 ${ms(b50)} p99 ${ms(b99)}${phase === 'idle' ? '' : ratio(b99, idle?.b99)} (${beats.length} heartbeats, statuses ${JSON.stringify(Object.fromEntries(relay.statuses))})`,
          `       collector peak RSS ${mb(peak)} (VmHWM so far ${mb(procKb(pid, 'VmHWM'))})`,
          fl
            ? `       flood: ${CLIENTS} clients x ${(fl.bodyBytes / 1048576).toFixed(1)} MiB bodies, answers ${JSON.stringify(fl.statuses)}`
            : '',
        ]
          .filter(Boolean)
          .join('\n'),
      );
      process.stdout.write(`${rows[rows.length - 1]}\n`);
    }
  } finally {
    clearInterval(grow);
    agent.child.kill('SIGTERM');
    await agent.exited;
    await collector.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  reportFigures('collector-flood', figures);
  process.stdout.write(
    `\ngoals: unauth /healthz p99 < 50 ms, heartbeat p99 < 250 ms; auth peak RSS < 300 MB (${SECONDS} s per phase, ${CLIENTS} clients, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
