/**
 * The long-run fault scenario on one machine: simulated nodes (fixture /proc + fake StatsService), the real agent
 * binary per node, one or two real collector binaries (SQLite or PostgreSQL) behind the seeded fault proxy, and a
 * seeded chaos loop that SIGKILLs and restarts agents and collectors, truncates a state file once while its agent
 * is down, reboots, resets, wraps, moves interfaces and restarts the proxy core, while the traffic grows.
 * At the end, faults off, everything up, every outbox empty: the collector's per-node and per-user totals must equal
 * the driver's ground truth exactly. Everything is on 127.0.0.1, bounded in time, and stops by itself.
 *
 * What a seed replays (TRAFFIC_FAULT_SEED): the chaos plan is drawn from the seed before anything starts (which
 * events, in which order, at which point of the run, on which node, with which down times), and so are the first
 * forced proxy faults and every simulated node's starting counters. What it cannot replay is the machine's timing:
 * how many requests the agents make, and so which request meets which of the proxy's seeded rolls, and how many
 * growth steps fit between two events, vary from run to run. The plan is printed at the start of the log.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, type Rng } from '../../../src/loadgen/rng.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { freePort } from '../../support/free-port.js';
import { AgentProcess } from './agent-control.js';
import { CollectorProcess, addNode } from './collector-control.js';
import { NodeSim, type SimCounterBits } from './node-sim.js';
import { compareTotals, type Comparison } from './compare.js';

export interface ScenarioOptions {
  seed: number;
  durationMs: number;
  /** SQLite file (default: in the run dir) or a postgres:// URL of a fresh database. */
  db?: string;
  collectors?: 1 | 2;
  nodes?: number;
  /** Counter width of the simulated nodes and of the agents' counterBits (default 32). */
  counterBits?: SimCounterBits;
  /** Milliseconds between growth steps. */
  stepMs?: number;
  /** Chance per step of a random event (besides the scheduled one of each kind). */
  eventChance?: number;
  log?: (line: string) => void;
  keepDir?: boolean;
}

export interface ScenarioReport {
  seed: number;
  ok: boolean;
  dir: string;
  seconds: number;
  comparison: Comparison;
  counts: Record<string, number>;
  /** Filled when ok is false: seed, expected vs got, and log tails. */
  diagnosis: string;
}

type EventKind =
  | 'agentKill'
  | 'agentKillReboot'
  | 'truncateState'
  | 'collectorKill'
  | 'reset'
  | 'jump'
  | 'iface'
  | 'proxyRestart'
  | 'newUser'
  | 'clockStep';
const MANDATORY: EventKind[] = [
  'agentKill',
  'agentKillReboot',
  'truncateState',
  'collectorKill',
  'reset',
  'jump',
  'iface',
  'proxyRestart',
  'newUser',
  'clockStep',
];
const RANDOM_WEIGHTS: Array<[EventKind, number]> = [
  ['agentKill', 3],
  ['agentKillReboot', 1],
  ['collectorKill', 2],
  ['reset', 2],
  ['jump', 2],
  ['iface', 2],
  ['proxyRestart', 1],
  ['newUser', 1],
  ['clockStep', 1],
];
const OBSERVE_MS = 20_000;
const ADMIN = 'fault-admin-token-0123456789';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function weighted(rng: Rng): EventKind {
  const total = RANDOM_WEIGHTS.reduce((a, [, w]) => a + w, 0);
  let r = rng.next() * total;
  for (const [k, w] of RANDOM_WEIGHTS) {
    if ((r -= w) < 0) return k;
  }
  return 'agentKill';
}

/** One event of the plan: its kind, when (a fraction of the run), and its own random source for its details. */
export interface PlannedEvent {
  kind: EventKind;
  at: number;
  rng: Rng;
}

/**
 * The whole chaos plan, drawn from the seed alone: one of each mandatory kind at evenly spaced points (in a seeded
 * order), and as many random ones as `eventChance` per step would give on average, at seeded points. Each event
 * carries a random source of its own, so its details do not depend on how many growth steps the machine managed.
 */
export function planChaos(seed: number, durationMs: number, stepMs: number, eventChance: number): PlannedEvent[] {
  const rng = createRng(seed);
  const mandatory = rng.shuffle(MANDATORY);
  const plan: Array<{ kind: EventKind; at: number }> = mandatory.map((kind, i) => ({
    kind,
    at: (i + 1) / (mandatory.length + 1),
  }));
  const randomCount = Math.round((durationMs / stepMs) * eventChance);
  for (let i = 0; i < randomCount; i++) plan.push({ kind: weighted(rng), at: rng.next() });
  plan.sort((a, b) => a.at - b.at);
  return plan.map((e, i) => ({ ...e, rng: createRng((seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0) }));
}

interface NodeRun {
  id: number;
  sim: NodeSim;
  agent: AgentProcess;
  lastGrowth: number;
}

export async function runScenario(opts: ScenarioOptions): Promise<ScenarioReport> {
  const stepMs0 = opts.stepMs ?? 80;
  const plan = planChaos(opts.seed, opts.durationMs, stepMs0, opts.eventChance ?? 0.04);
  const rng = createRng(opts.seed ^ 0x0c4a05);
  const log = opts.log ?? (() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'ta-faults-'));
  const t0 = Date.now();
  const db = opts.db ?? join(dir, 'collector.db');
  const stepMs = stepMs0;
  const counts: Record<string, number> = { truncations: 0, skippedEvents: 0 };
  const bump = (k: string) => (counts[k] = (counts[k] ?? 0) + 1);

  const collectors: CollectorProcess[] = [];
  const nodes: NodeRun[] = [];
  let proxy: FaultProxy | null = null;
  const down = new Map<CollectorProcess, number>();
  let comparison: Comparison = { ok: false, lines: [], mismatches: ['not compared'] };
  let diagnosis = '';
  try {
    for (let i = 0; i < (opts.collectors ?? 1); i++) {
      collectors.push(new CollectorProcess(`collector${i + 1}`, await freePort(), db, ADMIN, dir));
    }
    const registered = [];
    for (let i = 0; i < (opts.nodes ?? 1); i++) registered.push(await addNode(db, `node-${i + 1}`));
    for (const c of collectors) await c.up();
    proxy = await startFaultProxy({
      upstreams: collectors.map((c) => c.url),
      random: createRng(opts.seed ^ 0x5eed).next,
    });
    proxy.enabled = false;

    for (const [i, reg] of registered.entries()) {
      const sim = await NodeSim.create(createRng(opts.seed + i + 1), dir, opts.counterBits ?? 32);
      const agent = new AgentProcess({
        nodeId: reg.id,
        token: reg.token,
        collectorUrl: proxy.url,
        stateDir: join(dir, `state-${reg.id}`),
        procRoot: sim.fixture.root,
        statsAddress: sim.stats.address,
        dir,
        label: `agent${reg.id}`,
        counterBits: opts.counterBits ?? 32,
      });
      agent.start();
      nodes.push({ id: reg.id, sim, agent, lastGrowth: 0 });
    }
    // A clean start: each agent's baseline (interfaces and proxy) is saved before anything grows.
    for (const n of nodes) {
      await n.agent.waitSaved(0, OBSERVE_MS);
      n.sim.startCounting();
    }
    proxy.enabled = true;
    // One of each proxy fault early on, whatever the rolls say later.
    for (const f of rng.shuffle(['drop', 'cut', 'delay', 'refuse', 'twice'] as const)) proxy.forceNext(f);
    log(
      `seed ${opts.seed}: ${nodes.length} node(s), ${collectors.length} collector(s) on ${db.startsWith('postgres') ? 'PostgreSQL' : 'SQLite'}, ${opts.counterBits ?? 32}-bit counters, ${opts.durationMs} ms of chaos in ${dir}`,
    );
    log(`  plan: ${plan.map((e) => `${e.kind}@${e.at.toFixed(2)}`).join(' ')}`);

    const growAll = async (n: NodeRun) => {
      await n.sim.grow();
      n.lastGrowth = Date.now();
    };
    /** The agent saved a sample taken after the last growth: nothing grown so far can be lost to what comes next. */
    const settled = (n: NodeRun) => n.agent.waitSaved(n.lastGrowth, OBSERVE_MS);
    const observed = async (n: NodeRun) => {
      await n.agent.waitSaved(Date.now(), OBSERVE_MS);
    };

    const killAgent = async (n: NodeRun, kind: 'plain' | 'reboot' | 'truncate', ev: Rng) => {
      if (kind === 'reboot') await settled(n);
      await n.agent.kill();
      bump('agentKills');
      if (kind === 'reboot') {
        await n.sim.reboot();
        n.lastGrowth = Date.now();
      }
      if (kind === 'truncate') {
        await n.agent.truncateState();
        counts.truncations++;
      }
      const downUntil = Date.now() + ev.int(100, 1500);
      while (Date.now() < downUntil) {
        await growAll(n);
        await sleep(stepMs);
      }
      n.agent.start();
      bump('agentRestarts');
      if (kind !== 'plain') await observed(n);
    };

    const killCollector = async (ev: Rng) => {
      const up = collectors.filter((c) => !down.has(c));
      if (up.length === 0 || (collectors.length > 1 && down.size > 0)) return bump('skippedEvents');
      const c = ev.pick(up);
      await c.kill();
      bump('collectorKills');
      down.set(c, Date.now() + ev.int(200, 2500));
    };

    const restartCollectors = async (force: boolean) => {
      for (const [c, at] of down) {
        if (!force && Date.now() < at) continue;
        await c.up();
        down.delete(c);
        bump('collectorRestarts');
      }
    };

    const fire = async ({ kind, rng: ev }: PlannedEvent) => {
      const n = ev.pick(nodes);
      log(`  ${((Date.now() - t0) / 1000).toFixed(1)}s ${kind} on node ${n.id}`);
      switch (kind) {
        case 'agentKill':
          return killAgent(n, 'plain', ev);
        case 'agentKillReboot':
          return killAgent(n, 'reboot', ev);
        case 'truncateState':
          return counts.truncations === 0 ? killAgent(n, 'truncate', ev) : killAgent(n, 'plain', ev);
        case 'collectorKill':
          return killCollector(ev);
        case 'reset':
        case 'iface':
        case 'proxyRestart':
        case 'clockStep':
          if (kind === 'reset' && (await n.sim.nearTwo32())) n.lastGrowth = Date.now();
          await settled(n);
          if (kind === 'reset' && !(await n.sim.reset())) return bump('skippedEvents');
          if (kind === 'clockStep') await n.sim.clockStep();
          if (kind === 'iface') await n.sim.toggleInterface();
          if (kind === 'proxyRestart') await n.sim.proxyRestart();
          return observed(n);
        case 'jump':
          // The agent must have seen the growth so far: a wrap of the last jump's counter, then this jump, both
          // between two samples, is a drop of a few MB that no rate could explain as a wrap: a reset to the agent.
          await settled(n);
          if (!(await n.sim.jump())) return bump('skippedEvents');
          n.lastGrowth = Date.now();
          return observed(n);
        case 'newUser':
          n.sim.newUser();
          return observed(n);
      }
    };

    const pending = [...plan];
    const start = Date.now();
    const end = start + opts.durationMs;
    while (Date.now() < end) {
      for (const n of nodes) await growAll(n);
      await restartCollectors(false);
      const next = pending[0];
      if (next && Date.now() >= start + next.at * opts.durationMs) await fire(pending.shift() as PlannedEvent);
      await sleep(stepMs);
    }
    // Events the time did not reach still happen, in their order, with growth between them: the plan is the same
    // whatever the machine's speed. A few more growth steps at the end take a last jump across 2^32.
    for (const e of pending) {
      for (const n of nodes) await growAll(n);
      await fire(e);
    }
    for (let i = 0; i < 5; i++) for (const n of nodes) await growAll(n);

    // Calm: faults off, every collector up, every outbox drained.
    proxy.enabled = false;
    await restartCollectors(true);
    for (const n of nodes) {
      await n.agent.waitSaved(n.lastGrowth, 60_000, (s) => s.outbox.length === 0);
    }
    comparison = await compareTotals(
      collectors[0],
      nodes.map((n) => ({ id: n.id, truth: n.sim.truth, users: n.sim.userTruth })),
      t0,
    );
    Object.assign(counts, proxy.counts);
    counts.duplicatesRejected = proxy.counts.duplicates;
    counts.userPushReplays = collectors.reduce((a, c) => a + c.count('push already applied'), 0);
    counts.stateRecovered = nodes.reduce((a, n) => a + n.agent.count('"event":"state-recovered"'), 0);
    counts.stateCorrupt = nodes.reduce((a, n) => a + n.agent.count('"code":"STATE_CORRUPT"'), 0);
    for (const n of nodes) {
      for (const [k, v] of Object.entries(n.sim.counts)) counts[k] = (counts[k] ?? 0) + v;
      const s = await n.agent.savedState();
      if (s)
        for (const [k, v] of Object.entries(s.detected))
          counts[`agentDetected_${k}`] = (counts[`agentDetected_${k}`] ?? 0) + v;
    }
  } catch (err) {
    comparison = { ok: false, lines: [], mismatches: [`run aborted: ${(err as Error).stack ?? String(err)}`] };
  } finally {
    if (!comparison.ok) {
      diagnosis = [
        `FAULT RUN FAILED — replay with seed ${opts.seed} (TRAFFIC_FAULT_SEED=${opts.seed}); run dir ${dir}`,
        ...comparison.mismatches,
        ...comparison.lines,
        ...nodes.map((n) => `--- tail of ${n.agent.name} (${n.agent.logFile}):\n${n.agent.tailText(30)}`),
        ...collectors.map((c) => `--- tail of ${c.name} (${c.logFile}):\n${c.tailText(15)}`),
      ].join('\n');
    }
    for (const n of nodes) await n.agent.stop(2000).catch(() => undefined);
    for (const c of collectors) await c.stop(3000).catch(() => undefined);
    await proxy?.close();
    for (const n of nodes) await n.sim.close().catch(() => undefined);
    for (const k of ['agentKills', 'agentRestarts', 'collectorKills', 'collectorRestarts']) counts[k] ??= 0;
    if (comparison.ok && !opts.keepDir) await rm(dir, { recursive: true, force: true });
  }
  return { seed: opts.seed, ok: comparison.ok, dir, seconds: (Date.now() - t0) / 1000, comparison, counts, diagnosis };
}
