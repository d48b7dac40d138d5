/**
 * The real daemon against a collector that misbehaves on purpose (issue 10, items 1, 5, 6): an answer trickled one
 * byte a second, an answer claiming 300 MiB, and a 409 TC_RECORD_CONFLICT. Sampling keeps its cadence whatever the
 * sink does, READY reaches systemd once the first sample is saved, SIGTERM ends in time, memory stays bounded, and
 * the record stays queued every time.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHeartbeatServer, type HeartbeatServer } from '../../support/heartbeat-server.js';
import { startListener, type Listener } from '../../support/notify-listener.js';
import { ProcFixture } from '../../support/proc-fixture.js';
import {
  TOKEN,
  ensureBuilt,
  logLines,
  makeTempDir,
  readSavedState,
  startDaemon,
  waitFor,
  writeConfig,
  type Daemon,
} from '../helpers/agent-cli.js';

beforeAll(() => ensureBuilt());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Peak resident memory of a process (VmHWM), in bytes. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (!kb) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(kb[1]) * 1024;
}

/** The distinct lastSampleAt values of the saved state, watched for `ms`: one per persisted tick. */
async function watchTicks(stateDir: string, ms: number): Promise<number[]> {
  const seen: number[] = [];
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const s = await readSavedState(stateDir);
    if (s && s.lastSampleAt !== seen[seen.length - 1]) seen.push(s.lastSampleAt);
    await sleep(20);
  }
  return seen;
}

function largestGap(ts: readonly number[]): number {
  let gap = 0;
  for (let i = 1; i < ts.length; i++) gap = Math.max(gap, ts[i] - ts[i - 1]);
  return gap;
}

describe('a hostile collector', () => {
  let server: HeartbeatServer;
  let fx: ProcFixture;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let daemon: Daemon | null = null;
  let notify: Listener | null = null;

  beforeEach(async () => {
    server = await startHeartbeatServer({ token: TOKEN });
    fx = await ProcFixture.create({ interfaces: { lo: { rx: 0n, tx: 0n }, eth0: { rx: 5_000n, tx: 6_000n } } });
    tmp = await makeTempDir('ta-hostile-');
  });

  afterEach(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await daemon?.exited;
    daemon = null;
    notify?.child.kill();
    notify = null;
    await server.close();
    await fx.remove();
    await tmp.cleanup();
  });

  it('a trickled answer: one deadline per delivery, ticks on time, READY after the first save, SIGTERM in time', {
    timeout: 60_000,
  }, async () => {
    await server.setMode('trickle');
    const stateDir = join(tmp.dir, 'state');
    const timeoutMs = 1000;
    const shutdownDeadlineMs = 1000;
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir,
      procRoot: fx.root,
      heartbeatIntervalSec: 0.25,
      timeoutMs,
      extra: { shutdownDeadlineMs },
    });
    notify = await startListener(tmp.dir);
    const d = (daemon = startDaemon(cfg, { NOTIFY_SOCKET: notify.path }));
    // READY although the first delivery is being trickled: it follows the first saved sample.
    expect(await notify.next()).toMatch(/^READY=1/);
    await fx.grow('eth0', 1_000n, 2_000n);
    const ticks = await watchTicks(stateDir, 3_000);
    expect(ticks.length).toBeGreaterThanOrEqual(6);
    expect(largestGap(ticks)).toBeLessThan(1_000);
    await waitFor(() => server.hostileDurations.length >= 2, 'two trickled answers cut by the deadline', 10_000);
    // one overall deadline (connect + headers + body): a byte a second does not extend it
    for (const ms of server.hostileDurations) expect(ms).toBeLessThan(timeoutMs + 750);
    const failed = logLines(d.output()).filter((l) => l.code === 'DELIVERY_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    const started = Date.now();
    d.child.kill('SIGTERM');
    const { code } = await d.exited;
    const stopMs = Date.now() - started;
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(shutdownDeadlineMs + 1_500);
    const saved = await readSavedState(stateDir);
    expect(saved?.outbox.map((r) => [r.rx, r.tx])).toEqual([['1000', '2000']]);
    expect(server.records.size).toBe(0);
  });

  it('an answer claiming 300 MiB: a failed delivery, memory bounded, the record stays queued', {
    timeout: 60_000,
  }, async () => {
    await server.setMode('huge');
    const stateDir = join(tmp.dir, 'state');
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir,
      procRoot: fx.root,
      heartbeatIntervalSec: 0.5,
      timeoutMs: 20_000,
    });
    const d = (daemon = startDaemon(cfg));
    await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the baseline', 15_000);
    await fx.grow('eth0', 3_000n, 4_000n);
    await waitFor(() => server.counters.hostile >= 3, 'three huge answers', 30_000);
    const peak = await peakRss(d.child.pid!);
    expect(peak).toBeLessThan(200 * 1024 * 1024);
    // each answer was dropped soon after the cap, not read to its end
    expect(server.counters.hugeBytesSent / server.counters.hostile).toBeLessThan(64 * 1024 * 1024);
    const failed = logLines(d.output()).filter((l) => l.code === 'DELIVERY_FAILED');
    expect(String(failed[0]?.msg)).toMatch(/larger than/);
    const saved = await readSavedState(stateDir);
    expect(saved?.outbox.map((r) => [r.rx, r.tx])).toEqual([['3000', '4000']]);
    expect(saved?.cursors.collector ?? 0).toBe(0);
  });

  it('409 TC_RECORD_CONFLICT: logged at error naming epoch and seq, the record kept, backed off', {
    timeout: 60_000,
  }, async () => {
    await server.setMode('conflict');
    const stateDir = join(tmp.dir, 'state');
    const cfg = await writeConfig(join(tmp.dir, 'agent.json'), {
      url: server.url,
      stateDir,
      procRoot: fx.root,
      heartbeatIntervalSec: 0.1,
    });
    const d = (daemon = startDaemon(cfg));
    await waitFor(() => logLines(d.output()).some((l) => l.event === 'start'), 'the baseline', 15_000);
    await fx.grow('eth0', 10n, 20n);
    await waitFor(
      () => logLines(d.output()).some((l) => l.code === 'RECORD_CONFLICT' && (l.seqs as number[]).length > 0),
      "the record's conflict logged",
      10_000,
    );
    const before = server.counters.hostile;
    await sleep(3_000);
    // backed off like a rejection (base 100 ms, cap 1 s here): a handful of tries in 3 s, not one per tick or faster
    expect(server.counters.hostile - before).toBeLessThanOrEqual(8);
    const saved = await readSavedState(stateDir);
    // the last one: before the first record, the empty heartbeats conflict too (with this stand-in only)
    const conflict = logLines(d.output())
      .filter((l) => l.code === 'RECORD_CONFLICT')
      .at(-1);
    expect(conflict?.msg).toBeDefined();
    expect(conflict).toMatchObject({ level: 50, sink: 'collector', epoch: saved?.epoch });
    expect(conflict?.seqs).toEqual([1]);
    expect(String(conflict?.msg)).toContain(`epoch ${saved?.epoch}`);
    expect(saved?.outbox.map((r) => [r.seq, r.rx, r.tx])).toEqual([[1, '10', '20']]);
    expect(saved?.cursors.collector ?? 0).toBe(0);
  });
});
