/**
 * Quota alerts end to end: the real collector binary, two real agents on fixture /proc trees, a webhook receiver on
 * 127.0.0.1 that drops some answers after reading the request, fails others, holds one while the collector is
 * SIGKILLed mid-request, and refuses connections for a while. Across two SIGKILLs and restarts, every threshold that
 * was crossed arrives (deduplicated by Idempotency-Key) exactly once, none that was not crossed arrives, every
 * signature verifies, and once all are delivered nothing more is sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../support/agent-binary.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { ProcFixture } from '../support/proc-fixture.js';
import { until } from '../support/until.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';

const SECRET = 'e2e-webhook-secret-0123456789';
let collector: CollectorProcess | null = null;
const agents: RunningAgent[] = [];
const fixtures: ProcFixture[] = [];
const dirs: string[] = [];
let rx: WebhookReceiver | null = null;

afterAll(async () => {
  for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
  await collector?.stop();
  await rx?.stop();
  for (const f of fixtures) await f.remove();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const context = () =>
  `received: ${JSON.stringify(rx?.received.map((r) => [r.key, r.answered]))}\ncollector: ${collector?.output().slice(-2000)}`;
const waitFor = (cond: () => boolean | Promise<boolean>, what: string) =>
  until(cond, what, { ms: 20_000, everyMs: 50, context });

async function kill(c: CollectorProcess): Promise<void> {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    const exited = new Promise((r) => c.child.once('exit', r));
    c.child.kill('SIGKILL');
    await exited;
  }
}

describe('quota alerts end to end', () => {
  it('delivers every crossed threshold exactly once (by key) across SIGKILLs, dropped answers and refusals', async () => {
    const started = Date.now();
    rx = await new WebhookReceiver(SECRET).start();
    // A fixed pattern of bad answers: every 3rd request loses its answer, every 4th gets a 503.
    rx.chooser = (n) => (n % 3 === 2 ? 'drop' : n % 4 === 3 ? 'fail' : 'ok');
    const config = {
      alertChannels: [{ name: 'ops', url: rx.url('/alerts'), secret: SECRET }],
      alerts: {
        evalIntervalSec: 0.1,
        requestTimeoutMs: 400,
        retryBaseMs: 50,
        retryMaxMs: 300,
        nodeOffline: false,
        nodeEvents: false,
      },
    };
    collector = await startCollector({ config });
    process.stderr.write(`[quota e2e] collector up after ${Date.now() - started} ms\n`);
    const a = await collector.addNode({ name: 'a' });
    const b = await collector.addNode({ name: 'b' });
    // The pool by the CLI, the rest by the admin API (each CLI run is a Node start: seconds on a busy machine).
    const pool = JSON.parse(await collector.cli(['pool', 'add', '--name', 'acct'])) as { id: number };
    const api = async (method: 'POST' | 'PUT', path: string, body?: unknown) => {
      const r = await request(`${collector!.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${collector!.adminToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const out = (await r.body.json()) as Record<string, unknown>;
      expect(r.statusCode, JSON.stringify(out)).toBeLessThan(300);
      return out as { id: number };
    };
    await api('PUT', `/api/v1/pools/${pool.id}/nodes/${a.id}`);
    await api('PUT', `/api/v1/pools/${pool.id}/nodes/${b.id}`);
    const qa = await api('POST', '/api/v1/quotas', {
      nodeId: a.id,
      limit: '100000',
      measure: 'max',
      thresholds: [25, 50, 75, 100],
    });
    const qb = await api('POST', '/api/v1/quotas', { nodeId: b.id, limit: '1TB' });
    const qp = await api('POST', '/api/v1/quotas', {
      poolId: pool.id,
      limit: '400kB',
      thresholds: [50, 100],
      channels: ['ops'],
    });
    const t0 = Date.now();
    const step = (what: string) => process.stderr.write(`[quota e2e] ${Date.now() - t0} ms: ${what}\n`);
    step('set up');

    for (const n of [a, b]) {
      const fx = await ProcFixture.create({ interfaces: { lo: { rx: 1n, tx: 1n }, eth0: { rx: 0n, tx: 0n } } });
      fixtures.push(fx);
      const dir = mkdtempSync(join(tmpdir(), 'e2e-quota-'));
      dirs.push(dir);
      const cfg = join(dir, 'agent.json');
      writeFileSync(
        cfg,
        JSON.stringify({
          node: { id: n.id, token: n.token },
          collector: { url: collector.url, timeoutMs: 1000 },
          stateDir: join(dir, 'state'),
          procRoot: fx.root,
          heartbeatIntervalSec: 0.1,
          interfaces: { exclude: ['lo*'] },
        }),
      );
      agents.push(startAgent(['run', '-c', cfg]));
    }
    await Promise.all(agents.map((x) => x.waitFor('"event":"start"', 45_000)));
    const [fa, fb] = fixtures;
    const keys = () => new Set(rx!.received.map((r) => r.key));
    const key = (q: { id: number }, t: number) => `quota:${q.id}:p${periodStart}:t${t}@ops`;
    const nodeView = await request(`${collector.url}/api/v1/quotas`, {
      headers: { authorization: `Bearer ${collector.adminToken}` },
    });
    const periodStart = ((await nodeView.body.json()) as { quotas: Array<{ usage: { periodStart: number } }> })
      .quotas[0].usage.periodStart;

    // 30 % on a (max direction): the 25 % alert.
    await fa.grow('eth0', 30_000n, 5_000n);
    await waitFor(() => keys().has(key(qa, 25)), 'a at 25 %');
    step('a at 25 %');

    // The next request is held unanswered, and the collector is SIGKILLed while it waits for the answer.
    rx.plan = ['hold'];
    let held = false;
    rx.onRequest = (r) => {
      if (r.answered === 'hold' && !held) {
        held = true;
        collector!.child.kill('SIGKILL');
      }
    };
    await fa.grow('eth0', 25_000n, 0n); // 55 %: the 50 % alert
    await waitFor(() => held, 'the held request');
    step('the held request');
    await kill(collector);
    rx.onRequest = undefined;
    const restart = async () => {
      collector = await startCollector({
        db: collector!.db,
        adminToken: collector!.adminToken,
        port: collector!.port,
        config,
      });
    };
    dirs.push(collector.dir);
    await restart();
    await waitFor(() => rx!.received.filter((r) => r.key === key(qa, 50)).length >= 2, 'the held alert sent again');
    step('the held alert sent again');

    // The receiver goes away (connections refused) while a crosses 75 % and 100 % in one step and b pushes the
    // pool past 50 %; the collector is killed again with those alerts still pending, then restarted.
    await rx.refuse();
    await fa.grow('eth0', 55_000n, 0n); // 110 %
    await fb.grow('eth0', 50_000n, 40_000n); // pool: 110k + 5k + 90k = 205k of 400k = 51.25 %
    await waitFor(async () => {
      const r = await request(`${collector!.url}/api/v1/alerts`, {
        headers: { authorization: `Bearer ${collector!.adminToken}` },
      });
      const alerts = (
        (await r.body.json()) as { alerts: Array<{ key: string; deliveries: Array<{ lastError: string | null }> }> }
      ).alerts;
      return alerts.length >= 5 && alerts.filter((x) => x.deliveries[0].lastError !== null).length >= 1;
    }, 'alerts fired while the receiver refuses');
    step('alerts fired while the receiver refuses');
    await kill(collector);
    dirs.push(collector.dir);
    await restart();
    await rx.start(rx.port);

    const expected = [key(qa, 25), key(qa, 50), key(qa, 75), key(qa, 100), key(qp, 50)].sort();
    const delivered = async () => {
      const r = await request(`${collector!.url}/api/v1/alerts`, {
        headers: { authorization: `Bearer ${collector!.adminToken}` },
      });
      const alerts = ((await r.body.json()) as { alerts: Array<{ state: string }> }).alerts;
      return alerts.length === expected.length && alerts.every((x) => x.state === 'delivered');
    };
    await waitFor(delivered, 'every alert delivered');
    step('every alert delivered');
    const settled = rx.received.length;
    await new Promise((r) => setTimeout(r, 1000));

    // Exactly the crossed thresholds, each once by key; nothing for b's 1 TB quota or the pool's 100 %.
    expect([...keys()].sort()).toEqual(expected);
    expect(rx.unique()).toHaveLength(5);
    expect(keys().has(key(qb, 80))).toBe(false);
    expect(keys().has(key(qp, 100))).toBe(false);
    // Every attempt of one key carries the same body, and every signature verifies.
    for (const r of rx.received) {
      expect(r.signatureOk).toBe(true);
      expect(r.body).toBe(rx.received.find((x) => x.key === r.key)!.body);
      const doc = JSON.parse(r.body);
      expect(`${doc.id}@ops`).toBe(r.key);
    }
    // Each key was answered 2xx at least once, and nothing was sent after the last alert was delivered.
    for (const k of expected)
      expect(
        rx.received.some((r) => r.key === k && r.answered === 'ok'),
        k,
      ).toBe(true);
    expect(rx.received.length).toBe(settled);
    // The repeats are the answers the collector could not have seen.
    const repeats = rx.received.length - 5;
    const unseen = rx.received.filter((r) => r.answered !== 'ok').length;
    expect(repeats).toBeLessThanOrEqual(unseen + 1);
    const doc100 = JSON.parse(rx.received.find((r) => r.key === key(qa, 100))!.body);
    expect(doc100).toMatchObject({
      kind: 'quota',
      node: { id: a.id, name: 'a' },
      quota: { threshold: 100, limit: '100000' },
    });
    expect(BigInt(doc100.usage.used)).toBeGreaterThanOrEqual(100_000n);
  }, 150_000); // about 15 s on an idle machine; a process start alone took up to 18 s at load 20 on 2 cores
});
