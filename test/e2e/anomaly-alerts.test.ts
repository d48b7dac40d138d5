/**
 * Anomaly alerts end to end: the real collector binary on a SQLite file that already holds three weeks of hourly
 * traffic (written through the store before the collector starts: weeks of history cannot be lived through in a
 * test), a real agent on a fixture /proc tree keeping one node online while its traffic has stopped, and a webhook
 * receiver on 127.0.0.1. The collector evaluates its rules ten times a second and runs the detector five times a
 * second: the spike and the silence each arrive exactly once, signed, with the observed and expected bytes; nothing
 * else arrives (the filtered-out kind, the steady node), and a restart on the same database sends nothing again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AlertDocument } from '../../src/collector/alerts/alert-document.js';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { hashToken } from '../../src/collector/tokens.js';
import { startAgent, type RunningAgent } from '../support/agent-binary.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'e2e-anomaly-secret-0123456789';
const H = 3_600_000;
const MB = 1024 * 1024;
let collector: CollectorProcess | null = null;
let agent: RunningAgent | null = null;
let fixture: ProcFixture | null = null;
let rx: WebhookReceiver | null = null;
const dirs: string[] = [];

afterAll(async () => {
  if (agent && agent.child.exitCode === null) agent.child.kill('SIGKILL');
  await collector?.stop();
  await rx?.stop();
  await fixture?.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('anomaly alerts end to end', () => {
  it('a spike and a silence while online each alert once, across many evaluations and a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'e2e-anomaly-'));
    dirs.push(dir);
    const db = join(dir, 'collector.db');
    const hourNow = Math.floor(Date.now() / H) * H;
    const start = hourNow - 21 * 24 * H;
    const spikeAt = hourNow - H;
    const spikeBytes = 50_000n * BigInt(MB) + 12_345n;
    const store = await SqliteStore.open(db, { create: true });
    const node = async (name: string, token: string) =>
      (
        await store.addNode({
          name,
          tokenHash: hashToken(token),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: start,
        })
      ).id;
    const spiky = await node('spiky', 'token-spiky-0123456789');
    const silentToken = 'token-silent-0123456789';
    const silent = await node('silent', silentToken);
    const steady = await node('steady', 'token-steady-0123456789');
    const ins = store.db.prepare('INSERT INTO traffic_hourly (node_id, hour, rx, tx) VALUES (?, ?, ?, ?)');
    store.db.transaction(() => {
      for (let at = start, i = 0; at < hourNow; at += H, i++) {
        const usual = BigInt(Math.round((400 + 50 * Math.sin(i)) * MB));
        ins.run(spiky, at, at === spikeAt ? spikeBytes : usual, 0n);
        ins.run(steady, at, usual, 1000n);
        // Busy until three hours ago, nothing since.
        if (at < hourNow - 2 * H) ins.run(silent, at, usual, 0n);
      }
    })();
    await store.close();

    rx = await new WebhookReceiver(SECRET).start();
    const config = {
      heartbeatIntervalSec: 1,
      alertChannels: [{ name: 'ops', url: rx.url('/alerts'), secret: SECRET }],
      alerts: {
        evalIntervalSec: 0.1,
        nodeOffline: false,
        nodeEvents: false,
        // Drops left out: the silent node's empty hours are drops too, and must not alert here.
        anomalies: { enabled: true, everySec: 0.2, kinds: ['spike', 'silent'], channels: ['ops'] },
      },
    };
    collector = await startCollector({ db, config });

    // The silent node is online: a real agent whose counters do not move sends its heartbeats.
    fixture = await ProcFixture.create({ interfaces: { lo: { rx: 1n, tx: 1n }, eth0: { rx: 5n, tx: 5n } } });
    const agentDir = mkdtempSync(join(tmpdir(), 'e2e-anomaly-agent-'));
    dirs.push(agentDir);
    const cfg = join(agentDir, 'agent.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        node: { id: silent, token: silentToken },
        collector: { url: collector.url, timeoutMs: 1000 },
        stateDir: join(agentDir, 'state'),
        procRoot: fixture.root,
        heartbeatIntervalSec: 0.2,
        interfaces: { exclude: ['lo*'] },
      }),
    );
    agent = startAgent(['run', '-c', cfg]);
    await agent.waitFor('"event":"start"', 45_000);

    const spikeKey = `anomaly:node-hourly:${spiky}:${spikeAt}:spike@ops`;
    const silentKey = `anomaly:node-silent:${silent}:${hourNow - 2 * H}:silent@ops`;
    const keys = () => rx!.received.map((r) => r.key);
    const context = () => `received: ${JSON.stringify(keys())}\ncollector: ${collector?.output().slice(-2000)}`;
    await until(() => keys().includes(spikeKey) && keys().includes(silentKey), 'both anomaly alerts', {
      ms: 30_000,
      everyMs: 50,
      context,
    });
    // Many more evaluations and detector runs: nothing more is sent.
    await sleep(3000);
    expect(keys().sort(), context()).toEqual([spikeKey, silentKey].sort());
    expect(rx.received.every((r) => r.signatureOk)).toBe(true);

    const doc = (key: string) => JSON.parse(rx!.received.find((r) => r.key === key)!.body) as AlertDocument;
    const spike = doc(spikeKey);
    expect(spike).toMatchObject({ kind: 'anomaly', node: { id: spiky, name: 'spiky' } });
    expect(spike.anomaly).toMatchObject({
      scope: 'node-hourly',
      kind: 'spike',
      at: spikeAt,
      until: hourNow,
      observed: String(spikeBytes),
      userId: null,
    });
    expect(BigInt(spike.anomaly!.expected)).toBeGreaterThan(350n * BigInt(MB));
    expect(BigInt(spike.anomaly!.high)).toBeLessThan(spikeBytes);
    expect(spike.title).toContain('node spiky: unusually high traffic');
    const quiet = doc(silentKey);
    expect(quiet.anomaly).toMatchObject({ scope: 'node-silent', kind: 'silent', observed: '0' });
    expect(quiet.title).toContain('node silent carries no traffic since');

    // A restart on the same database: the ledger knows both, nothing is sent again.
    const port = collector.port;
    await collector.stop();
    collector = await startCollector({ db, config, port });
    await sleep(3000);
    expect(keys().sort(), context()).toEqual([spikeKey, silentKey].sort());
  }, 120_000);
});
