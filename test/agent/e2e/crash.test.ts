/**
 * The real daemon (`run`, 50 ms ticks) is killed with SIGKILL at seeded random moments while the fixture counters
 * grow by known amounts (with a reset and a reboot on the way) and the collector stand-in drops some responses after
 * storing the request. Once restarted and drained, the collector's deduplicated sum equals the ground truth exactly.
 * On the way, state.json is truncated once while the agent is stopped: it recovers from state.json.bak.
 */
import { truncate } from 'node:fs/promises';
import { assertOutboxInvariants } from '../../../src/agent/outbox/outbox.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  TOKEN,
  ensureBuilt,
  logLines,
  makeTempDir,
  readSavedState,
  startDaemon,
  statusJson,
  waitFor,
  writeConfig,
  type Daemon,
} from '../helpers/agent-cli.js';
import { createRng } from '../../../src/loadgen/rng.js';

const SEED = Number(process.env.CRASH_SEED ?? 20_250_310);
const KILLS = 30;
const RESET_AT = 10;
const TRUNCATE_AT = 17;
const REBOOT_AT = 24;
const BOOT_2 = '00000000-0000-4000-8000-0000000000b2';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SIGKILL at random moments', () => {
  let server: HeartbeatServer;
  let fx: ProcFixture;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let daemon: Daemon | null = null;

  beforeAll(async () => {
    ensureBuilt();
    server = await startHeartbeatServer({ token: TOKEN });
    fx = await ProcFixture.create({
      interfaces: {
        lo: { rx: 10n, tx: 10n },
        eth0: { rx: 1_000_000_000_000n, tx: 500_000_000_000n },
        eth1: { rx: 77n, tx: 88n },
      },
    });
    tmp = await makeTempDir('ta-crash-');
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('loses nothing and counts nothing twice', { timeout: 180_000 }, async () => {
    const rnd = createRng(SEED).next;
    const stateDir = join(tmp.dir, 'state');
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir,
      procRoot: fx.root,
      heartbeatIntervalSec: 0.05,
      counterBits: 64,
      timeoutMs: 1000,
    });
    server.decide = () => (rnd() < 0.3 ? 'drop' : 'ok');
    const truth = { rx: 0n, tx: 0n };
    const outputs: string[] = [];
    let kills = 0;

    const start = () => {
      daemon = startDaemon(cfg);
      return daemon;
    };
    /** After every step: the saved outbox keeps its invariants, and no record handed to a sink changed since. */
    let previous: AgentState | null = null;
    const checkInvariants = async () => {
      const s = await readSavedState(stateDir);
      if (!s) return;
      assertOutboxInvariants(s, previous);
      previous = s;
    };
    const kill = async () => {
      const d = daemon!;
      d.child.kill('SIGKILL');
      await d.exited;
      outputs.push(d.output());
      daemon = null;
      kills++;
      await checkInvariants();
    };
    const grow = async (iface: 'eth0' | 'eth1') => {
      const rx = BigInt(Math.floor(rnd() * 5_000_000));
      const tx = BigInt(Math.floor(rnd() * 1_000_000));
      await fx.grow(iface, rx, tx);
      await fx.grow('lo', 1_000n, 1_000n); // never counted
      truth.rx += rx;
      truth.tx += tx;
    };
    /** Waits until the saved state holds the fixture's current counters: the agent has seen every byte so far. */
    const synced = async () => {
      const want = { eth0: fx.counters('eth0'), eth1: fx.counters('eth1') };
      await waitFor(
        async () => {
          const s = await readSavedState(stateDir);
          return (
            s?.interfaces.eth0?.rx === want.eth0.rx.toString() &&
            s.interfaces.eth0.tx === want.eth0.tx.toString() &&
            s.interfaces.eth1?.rx === want.eth1.rx.toString() &&
            s.interfaces.eth1.tx === want.eth1.tx.toString()
          );
        },
        'the agent to save the current counters',
        15_000,
      );
    };

    // First run: the baseline is the fixture's counters as they are; nothing before it counts.
    start();
    await waitFor(() => readSavedState(stateDir), 'the baseline', 15_000);

    for (let cycle = 1; cycle <= KILLS; cycle++) {
      if (!daemon) start();
      if (cycle === TRUNCATE_AT + 1) {
        await waitFor(
          () => logLines(daemon!.output()).some((l) => l.event === 'state-recovered'),
          'recovery from state.json.bak',
          15_000,
        );
      }
      // Kill at a random moment: one time in five during start-up, otherwise once it runs, within 0-400 ms (8 ticks);
      // the counters keep growing all the while.
      const d = daemon!;
      const early = rnd() < 0.2;
      if (!early)
        await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the daemon to run', 15_000);
      const until = Date.now() + Math.floor(rnd() * (early ? 600 : 400));
      while (Date.now() < until) {
        await grow(rnd() < 0.8 ? 'eth0' : 'eth1');
        await sleep(5 + Math.floor(rnd() * 25));
      }
      if (cycle === RESET_AT || cycle === REBOOT_AT) await synced();
      await checkInvariants();
      await kill();

      if (cycle === RESET_AT) {
        // Same boot, eth0 counters drop (driver reload): the bytes since the reset (the new values) count.
        const reset = { rx: 123_456n, tx: 654_321n };
        await fx.setInterfaces({ ...fx.snapshot.interfaces, eth0: reset });
        truth.rx += reset.rx;
        truth.tx += reset.tx;
      }
      if (cycle === REBOOT_AT) {
        // Reboot while the agent is down: new boot id, counters since boot count in full.
        const eth0 = { rx: 9_999n, tx: 8_888n };
        const eth1 = { rx: 7_777n, tx: 6_666n };
        await fx.update({
          bootId: BOOT_2,
          btime: (fx.snapshot.btime ?? 0) + 7_200,
          interfaces: { lo: { rx: 0n, tx: 0n }, eth0, eth1 },
        });
        truth.rx += eth0.rx + eth1.rx;
        truth.tx += eth0.tx + eth1.tx;
      }
      if (cycle === TRUNCATE_AT) {
        const s = await readSavedState(stateDir);
        expect(s, 'state.json is whole before the truncation').not.toBeNull();
        await truncate(join(stateDir, 'state.json'), 100);
      }
    }

    // Back for good: the collector answers every request, the agent drains its outbox.
    server.decide = null;
    const last = start();
    await waitFor(() => logLines(last.output()).some((l) => l.event === 'start'), 'the daemon to run', 15_000);
    const sums = await waitFor(
      () => {
        const s = server.sums();
        return s.rx === truth.rx && s.tx === truth.tx ? s : null;
      },
      `the collector to hold the ground truth (rx ${truth.rx}, tx ${truth.tx})`,
      20_000,
    ).catch((err: Error) => {
      const s = server.sums();
      throw new Error(`${err.message}; it holds rx ${s.rx}, tx ${s.tx}`);
    });
    const d = daemon!;
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    outputs.push(d.output());
    daemon = null;

    console.log(
      `crash test (seed ${SEED}): ${kills} SIGKILLs, ${server.counters.dropped} responses dropped, ` +
        `${server.counters.requests} requests, ${sums.records} distinct records, ${server.counters.duplicates} duplicates recognised, ` +
        `truth rx ${truth.rx} tx ${truth.tx}`,
    );
    expect(kills).toBe(KILLS);
    expect(server.counters.dropped).toBeGreaterThan(0);
    expect(server.sums()).toEqual({ rx: truth.rx, tx: truth.tx, records: sums.records });
    expect(server.counters.conflicts).toBe(0);
    expect(new Set([...server.records.keys()].map((k) => k.split(':')[0])).size).toBe(1); // one epoch: no state was lost
    const st = await statusJson(cfg);
    expect(st.totals).toEqual({ rx: truth.rx.toString(), tx: truth.tx.toString() });
    expect(st.detected).toMatchObject({ reboots: 1, resets: 2 });
    const all = outputs.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(logLines(all).some((l) => l.code === 'STATE_CORRUPT' && String(l.file).endsWith('state.json'))).toBe(true);
  });
});
