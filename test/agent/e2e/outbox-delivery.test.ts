/**
 * The outbox end to end, through the real agent binary and a real HTTP collector stand-in:
 * - a collector that acknowledges only part of a batch: the agent moves on over exactly the acknowledged seqs and
 *   sends the rest again, so every byte arrives once;
 * - a long outage while the daemon ticks fast: records that never left the agent are merged to keep the outbox
 *   bounded, and the merged records carry the sum of their parts (the bytes arrive, in fewer records).
 */
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  ensureBuilt,
  makeTempDir,
  readSavedState,
  runAgent,
  startDaemon,
  statusJson,
  waitFor,
  writeConfig,
  type Daemon,
} from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt());

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ server: HeartbeatServer; fx: ProcFixture; cfg: string; stateDir: string }> {
  const tmp = await makeTempDir('ta-outbox-');
  const server = await startHeartbeatServer({ token: 'tok-3f9c1d-never-log-me' });
  const fx = await ProcFixture.create({}, tmp.dir);
  cleanups.push(tmp.cleanup, () => server.close());
  const stateDir = join(tmp.dir, 'state');
  return { server, fx, cfg: join(tmp.dir, 'agent.json'), stateDir };
}

describe('outbox delivery end to end', () => {
  it('a partial acknowledgement moves the agent over exactly the acknowledged records', async () => {
    const { server, fx, cfg, stateDir } = await setup();
    await writeConfig(cfg, { url: server.url, stateDir, procRoot: fx.root });
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0); // baseline
    // Four records queue up while the collector refuses connections.
    await server.setMode('refuse');
    let truth = { rx: 0n, tx: 0n };
    for (let i = 1; i <= 4; i++) {
      await fx.grow('eth0', BigInt(i) * 1_000_003n, BigInt(i) * 2_000_029n);
      truth = { rx: truth.rx + BigInt(i) * 1_000_003n, tx: truth.tx + BigInt(i) * 2_000_029n };
      expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    }
    expect((await statusJson(cfg)).pending).toBe(4);
    // The collector is back but takes one record per request: the agent moves over that one and sends the rest
    // again, request after request, until all four are through.
    await server.setMode('partial');
    const answeredBefore = server.counters.answered;
    expect((await runAgent(['once', '-c', cfg])).code).toBe(0);
    expect((await statusJson(cfg)).pending).toBe(0);
    expect(server.counters.answered - answeredBefore).toBeGreaterThanOrEqual(4);
    expect(server.sums()).toMatchObject({ rx: truth.rx, tx: truth.tx, records: 4 });
    expect(server.counters.conflicts).toBe(0);
  });

  it('records merged during a long outage carry the sum of their parts', async () => {
    const { server, fx, cfg, stateDir } = await setup();
    await writeConfig(cfg, {
      url: server.url,
      stateDir,
      procRoot: fx.root,
      heartbeatIntervalSec: 0.05,
      extra: { outbox: { maxRecords: 10 } },
    });
    const daemon: Daemon = startDaemon(cfg);
    cleanups.push(async () => {
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    });
    await waitFor(() => server.counters.answered > 0, 'the baseline heartbeat');
    await server.setMode('refuse');
    // Traffic grows through the outage; ticks go on every 50 ms while delivery backs off. The outage lasts until
    // the agent has made 40 records more than it had (each tick that saw growth makes one), however slow the machine.
    const seqAtStart = (await readSavedState(stateDir))?.nextSeq ?? 1;
    let truth = { rx: 0n, tx: 0n };
    for (let i = 1; ((await readSavedState(stateDir))?.nextSeq ?? 0) < seqAtStart + 40; i++) {
      await fx.grow('eth0', 10_007n * BigInt(i), 20_011n * BigInt(i));
      truth = { rx: truth.rx + 10_007n * BigInt(i), tx: truth.tx + 20_011n * BigInt(i) };
      await new Promise((r) => setTimeout(r, 60));
    }
    const during = await statusJson(cfg);
    expect(during.pending).toBeGreaterThan(0);
    // Bounded: at most maxRecords never-sent records plus those already handed to the collector once.
    expect(during.pending).toBeLessThan(40);
    await server.setMode('ok');
    // The agent's own totals say every growth was sampled; an empty outbox says everything was delivered.
    await waitFor(
      async () => {
        const st = await statusJson(cfg);
        return st.pending === 0 && st.totals.rx === truth.rx.toString() && st.totals.tx === truth.tx.toString();
      },
      'the agent to sample everything and drain its outbox',
      30_000,
    );
    const sums = server.sums();
    expect({ rx: sums.rx, tx: sums.tx }).toEqual(truth);
    // Merging happened: the agent made far more records than the collector received (merged seqs are never sent).
    const seqs = [...server.records.keys()].map((k) => Number(k.split(':')[1])).sort((a, b) => a - b);
    const gaps = seqs.filter((s, i) => i > 0 && s !== seqs[i - 1] + 1).length;
    expect(gaps).toBeGreaterThan(0);
    expect(server.counters.conflicts).toBe(0);
    daemon.child.kill('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  });
});
