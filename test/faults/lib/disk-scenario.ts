/**
 * Disk trouble: the agent's state directory is a small tmpfs that turns read-only, then fills up (with an agent
 * crash and restart while it is full), then recovers. Meanwhile traffic grows. The agent must keep counting in
 * memory, log STATE_WRITE_FAILED and then "state is written again", and in the end the collector's totals equal
 * the driver's ground truth.
 *
 * The agent overwrites its state files in place (src/agent/state/state-store.ts), so a full disk refuses a save only
 * when the state needs more room than its files already have. So the disk fills up, and then the node gets many new
 * interfaces (not counted, but the state keeps a baseline for each): the state grows by several kilobytes and its save
 * meets the full disk, before and after the crash.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../../../src/loadgen/rng.js';
import { freePort } from '../../support/free-port.js';
import { AgentProcess } from './agent-control.js';
import { CollectorProcess, addNode } from './collector-control.js';
import { compareTotals, type Comparison } from './compare.js';
import { TmpfsStateDir } from './mounts.js';
import { NodeSim } from './node-sim.js';

export interface DiskReport {
  seed: number;
  ok: boolean;
  comparison: Comparison;
  writeFailures: number;
  writeRecoveries: number;
  /** Records the collector took while the disk refused writes, beyond what was saved before: must be 0. */
  sentWhileRefused: number;
  outboxAtRecovery: number[];
  diagnosis: string;
  seconds: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runDiskTrouble(opts: {
  seed: number;
  phaseMs: number;
  log?: (s: string) => void;
}): Promise<DiskReport> {
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'ta-disk-'));
  const db = join(dir, 'collector.db');
  const tmpfs = new TmpfsStateDir(join(dir, 'state'));
  const collector = new CollectorProcess('collector', await freePort(), db, 'disk-admin-token-0123456789', dir);
  let sim: NodeSim | null = null;
  let agent: AgentProcess | null = null;
  let comparison: Comparison = { ok: false, lines: [], mismatches: ['not compared'] };
  const outboxAtRecovery: number[] = [];
  let sentWhileRefused = 0;
  let lastGrowth = 0;
  try {
    const reg = await addNode(db, 'disk-node');
    await collector.up();
    await tmpfs.mount();
    sim = await NodeSim.create(createRng(opts.seed), dir);
    agent = new AgentProcess({
      nodeId: reg.id,
      token: reg.token,
      collectorUrl: collector.url,
      stateDir: tmpfs.dir,
      procRoot: sim.fixture.root,
      statsAddress: sim.stats.address,
      dir,
      label: 'agent',
    });
    agent.start();
    await agent.waitSaved(0, 20_000);
    sim.startCounting();
    const a = agent;
    const s = sim;
    const growFor = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await s.grow();
        lastGrowth = Date.now();
        await sleep(80);
      }
    };
    /** Collector totals now (rx + tx). */
    const collected = async () => {
      const t = (await collector.nodeTotals()).get(reg.id)!;
      return t.rx + t.tx;
    };
    const refusedPhase = async (what: string, start: () => Promise<void>, end: () => Promise<void>, crash: boolean) => {
      // Everything saved so far is allowed to reach the collector; nothing counted after the disk refuses may.
      await a.waitSaved(lastGrowth, 20_000, (st) => st.outbox.length === 0);
      const before = await collected();
      const failures = a.count('"code":"STATE_WRITE_FAILED"');
      log(`  disk ${what}`);
      const fromLine = a.lines().length;
      await start();
      await growFor(200);
      await a.waitFor('"code":"STATE_WRITE_FAILED"', 10_000, fromLine);
      if (a.count('"code":"STATE_WRITE_FAILED"') <= failures)
        throw new Error(`no STATE_WRITE_FAILED logged after the disk went ${what}`);
      await growFor(opts.phaseMs);
      if (crash) {
        log('  agent SIGKILLed and started again while the disk still refuses');
        await a.kill();
        await growFor(300);
        const restartedAt = a.lines().length;
        a.start();
        // The restarted agent must meet the refusing disk itself before the disk comes back (a slow start on a
        // loaded machine would otherwise see only a healthy disk and have nothing to recover from).
        await a.waitFor('"code":"STATE_WRITE_FAILED"', 20_000, restartedAt);
        await growFor(opts.phaseMs / 2);
      }
      sentWhileRefused += Number((await collected()) - before > 0n ? 1 : 0);
      const recovered = a.count('state is written again');
      const from = a.lines().length;
      await end();
      log(`  disk writable again`);
      await a.waitFor('state is written again', 10_000, from);
      if (a.count('state is written again') <= recovered) throw new Error('no "state is written again" logged');
      outboxAtRecovery.push((await a.savedState())?.outbox.length ?? -1);
      await growFor(400);
    };

    await growFor(500);
    await refusedPhase(
      'read-only (remount,ro)',
      () => tmpfs.readOnly(),
      () => tmpfs.readWrite(),
      false,
    );
    await refusedPhase(
      'full (tmpfs filled to ENOSPC)',
      async () => {
        await tmpfs.fill();
        await s.addUncountedInterfaces(120);
      },
      () => tmpfs.free(),
      true,
    );

    await a.waitSaved(lastGrowth, 30_000, (st) => st.outbox.length === 0);
    comparison = await compareTotals(collector, [{ id: reg.id, truth: s.truth, users: s.userTruth }], t0);
  } catch (err) {
    comparison = {
      ok: false,
      lines: comparison.lines,
      mismatches: [`run aborted: ${(err as Error).stack ?? String(err)}`],
    };
  } finally {
    await agent?.stop(2000).catch(() => undefined);
    await collector.stop(3000).catch(() => undefined);
    await tmpfs.unmount().catch(() => undefined);
    await sim?.close().catch(() => undefined);
  }
  const ok = comparison.ok && sentWhileRefused === 0;
  const diagnosis = ok
    ? ''
    : [
        `DISK RUN FAILED — seed ${opts.seed}; run dir ${dir}`,
        ...(sentWhileRefused > 0
          ? [`records reached the collector while the disk refused the state (${sentWhileRefused} phase(s))`]
          : []),
        ...comparison.mismatches,
        ...comparison.lines,
        `--- tail of the agent (${agent?.logFile}):\n${agent?.tailText(40)}`,
      ].join('\n');
  if (ok) await rm(dir, { recursive: true, force: true });
  return {
    seed: opts.seed,
    ok,
    comparison,
    diagnosis,
    sentWhileRefused,
    outboxAtRecovery,
    seconds: (Date.now() - t0) / 1000,
    writeFailures: agent?.count('"code":"STATE_WRITE_FAILED"') ?? 0,
    writeRecoveries: agent?.count('state is written again') ?? 0,
  };
}
