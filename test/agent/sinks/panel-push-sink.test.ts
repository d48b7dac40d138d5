import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/agent/config/load-config.js';
import { buildSinks } from '../../../src/agent/daemon/build-sinks.js';
import { PanelPushSink, type PanelPushSinkOptions } from '../../../src/agent/sinks/panel-push-sink.js';
import { DeliveryError } from '../../../src/agent/sinks/sink.js';
import { freePort } from '../../support/free-port.js';
import { startPanelStandIn, type PanelStandIn } from '../../support/panel-stand-in.js';
import {
  captureLogger,
  stateWith,
  userRecord,
  type CapturedLog,
  agentParts,
  deliveryContext,
} from './sink-fixtures.js';

const ctx = deliveryContext();
const TOKEN = 'panel-secret-token';

let panel: PanelStandIn | undefined;
const sinks: PanelPushSink[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await panel?.close();
  panel = undefined;
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function panelSink(url: string, log: CapturedLog, over: Partial<PanelPushSinkOptions> = {}): PanelPushSink {
  const sink = new PanelPushSink({
    url,
    token: TOKEN,
    nodeId: 5,
    nodeType: 'vmess',
    retryLostResponse: false,
    timeoutMs: 2_000,
    batchSize: 50,
    logger: log.logger,
    ...over,
  });
  sinks.push(sink);
  return sink;
}

describe('PanelPushSink against a panel stand-in', () => {
  it('sends exactly the V1 push contract and acknowledges on {"data":true}', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const sink = panelSink(`${panel.url}/`, log);
    const records = [userRecord(1, { '1': ['1024', '4096'], '7': ['0', '512'] }), userRecord(2, { '1': ['10', '20'] })];

    const res = await sink.deliver(records, ctx);

    expect([...res.acked]).toEqual([1, 2]);
    expect(panel.requests).toHaveLength(2);
    const first = panel.requests[0];
    expect(first.method).toBe('POST');
    expect(first.path).toBe('/api/v1/server/UniProxy/push');
    expect(first.query).toEqual({ token: TOKEN, node_id: '5', node_type: 'vmess' });
    expect(first.headers['content-type']).toBe('application/json');
    expect(JSON.parse(first.body)).toStrictEqual({ '1': [1024, 4096], '7': [0, 512] }); // numbers, not strings
    expect(panel.applied.map((p) => p.traffic)).toEqual([{ '1': [1024, 4096], '7': [0, 512] }, { '1': [10, 20] }]);
    expect(panel.totals()).toEqual({ '1': [1034, 4116], '7': [0, 512] });
    expect(sink.stats().lostResponses).toEqual({ retried: 0, assumedDelivered: 0 });
    expect(log.text()).not.toContain(TOKEN);
  });

  it('keeps a path in panel.url (a panel served under a prefix)', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const sink = panelSink(`${panel.url}/panel`, captureLogger());
    await expect(sink.deliver([userRecord(1, { '1': ['1', '2'] })], ctx)).rejects.toThrow(/refused with 404/);
    expect(panel.requests[0].path).toBe('/panel/api/v1/server/UniProxy/push');
  });

  it("a bad token (422) is a refusal: not retryable, the panel's message in the error, nothing applied", async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const sink = panelSink(panel.url, captureLogger(), { token: 'wrong-token' });
    const err = await sink.deliver([userRecord(1, { '1': ['1', '2'] })], ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeliveryError);
    expect((err as DeliveryError).retryable).toBe(false);
    expect((err as DeliveryError).status).toBe(422);
    expect((err as DeliveryError).message).toContain('Invalid token');
    expect((err as DeliveryError).message).not.toContain('wrong-token');
    expect(panel.applied).toEqual([]);
  });

  it('an unknown node (400) is a refusal with "Server does not exist"', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const sink = panelSink(panel.url, captureLogger(), { nodeId: 99 });
    const err = (await sink
      .deliver([userRecord(1, { '1': ['1', '2'] })], ctx)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(err.retryable).toBe(false);
    expect(err.status).toBe(400);
    expect(err.message).toContain('Server does not exist');
  });

  it('a 5xx is retried, and a debug page that echoes the URL does not put the token in the error', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const sink = panelSink(panel.url, captureLogger());
    panel.nextAnswer = (requestUrl) => ({ status: 500, body: `<h1>Whoops</h1> at ${requestUrl}` });
    const err = (await sink
      .deliver([userRecord(1, { '1': ['1', '2'] })], ctx)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(500);
    expect(err.message).toContain('token=[redacted]');
    expect(err.message).not.toContain(TOKEN);
    expect(panel.applied).toEqual([]);
    expect(sink.stats().lostResponses).toEqual({ retried: 0, assumedDelivered: 0 });
  });

  it('lost response, retryLostResponse=false: counted as delivered, logged with seq and bytes, applied once, never re-sent', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const sink = panelSink(panel.url, log, { retryLostResponse: false });
    const records = [userRecord(1, { '1': ['1000', '3000'], '7': ['24', '96'] }), userRecord(2, { '7': ['5', '6'] })];
    panel.dropResponses = 1;

    const res = await sink.deliver(records, ctx);

    expect([...res.acked]).toEqual([1, 2]); // the lost one counts as delivered, and the next one still goes out
    expect(sink.stats().lostResponses).toEqual({ retried: 0, assumedDelivered: 1 });
    expect(panel.applied).toHaveLength(2);
    expect(panel.totals()).toEqual({ '1': [1000, 3000], '7': [29, 102] }); // seq 1 booked exactly once
    const warn = log.lines().find((l) => l.event === 'panel-lost-response');
    expect(warn).toMatchObject({ level: 40, seq: 1, users: 2, up: '1024', down: '3096', retryLostResponse: false });
    expect(warn?.msg).toContain('counted as delivered');
    expect(log.text()).not.toContain(TOKEN);

    // Nothing is pending any more: a later round has nothing to send for seq 1.
    await sink.deliver([], ctx);
    expect(panel.applied).toHaveLength(2);
  });

  it('lost response, retryLostResponse=true: not acknowledged, re-sent, so the panel books it twice (the documented risk)', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const sink = panelSink(panel.url, log, { retryLostResponse: true });
    const records = [userRecord(1, { '1': ['1000', '3000'] }), userRecord(2, { '1': ['1', '1'] })];
    panel.dropResponses = 1;

    const err = (await sink.deliver(records, ctx).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
    expect(panel.applied).toHaveLength(1); // it stopped at the first failure: seq 2 was not sent
    expect(sink.stats().lostResponses).toEqual({ retried: 1, assumedDelivered: 0 });
    expect(log.lines().find((l) => l.event === 'panel-lost-response')).toMatchObject({
      seq: 1,
      up: '1000',
      down: '3000',
      retryLostResponse: true,
    });

    const again = await sink.deliver(records, ctx);
    expect([...again.acked]).toEqual([1, 2]);
    expect(panel.applied.map((p) => p.traffic)).toEqual([
      { '1': [1000, 3000] },
      { '1': [1000, 3000] },
      { '1': [1, 1] },
    ]);
    expect(panel.totals()).toEqual({ '1': [2001, 6001] });
  });

  it('an answer that never comes (timeout after the push was written) is a lost response too', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const sink = panelSink(panel.url, log, { retryLostResponse: false, timeoutMs: 300 });
    panel.stallResponses = 1;
    const res = await sink.deliver([userRecord(4, { '1': ['3', '4'] })], ctx);
    expect([...res.acked]).toEqual([4]);
    expect(sink.stats().lostResponses).toEqual({ retried: 0, assumedDelivered: 1 });
    expect(log.lines().find((l) => l.event === 'panel-lost-response')).toMatchObject({
      seq: 4,
      reason: 'DEADLINE',
    });
    expect(panel.totals()).toEqual({ '1': [3, 4] });
  });

  it('a refused connection certainly did not arrive: retryable, not a lost response, and sent once the panel is up', async () => {
    const port = await freePort();
    const log = captureLogger();
    const sink = panelSink(`http://127.0.0.1:${port}`, log, { retryLostResponse: false });
    const records = [userRecord(1, { '1': ['7', '8'] })];

    const err = (await sink.deliver(records, ctx).catch((e: unknown) => e)) as DeliveryError;
    expect(err).toBeInstanceOf(DeliveryError);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('did not arrive');
    expect(err.message).not.toContain(TOKEN);
    expect(sink.stats().lostResponses).toEqual({ retried: 0, assumedDelivered: 0 });

    panel = await startPanelStandIn({ token: TOKEN, port });
    const res = await sink.deliver(records, ctx);
    expect([...res.acked]).toEqual([1]);
    expect(panel.totals()).toEqual({ '1': [7, 8] });
  });

  it('with the runtime: a refusal backs off and keeps the records; once the panel answers they are acknowledged', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const dir = await mkdtemp(join(tmpdir(), 'panel-sink-'));
    dirs.push(dir);
    const log = captureLogger();
    const cfg = resolveConfig(
      {
        node: { id: 3, token: 'collector-node-token' },
        collector: { url: 'http://127.0.0.1:9' },
        userTraffic: { enabled: true },
        panel: { url: panel.url, nodeId: 5, token: TOKEN },
      },
      {},
    );
    const all = buildSinks(cfg, log.logger);
    expect(all.map((s) => s.name)).toEqual(['collector', 'collectorUsers', 'panel']);
    const only = all.filter((s) => s.name === 'panel');
    await Promise.all(all.filter((s) => s.name !== 'panel').map((s) => s.close()));
    sinks.push(only[0] as PanelPushSink);

    const { ledger, dispatcher } = await agentParts(
      dir,
      only,
      log.logger,
      stateWith([userRecord(1, { '1': ['100', '200'] }), userRecord(2, { '7': ['1', '2'] })]),
    );

    const realToken = panel.token;
    panel.token = 'rotated-on-the-panel';
    await dispatcher.deliver({ force: true });
    expect(dispatcher.health.get('panel')?.attempts).toEqual({ ok: 0, failed: 0, rejected: 1 });
    expect(ledger.snapshot?.cursors.panel ?? 0).toBe(0);
    expect(ledger.snapshot?.outbox.map((r) => r.seq)).toEqual([1, 2]);
    const rejected = log.lines().find((l) => l.code === 'DELIVERY_REJECTED');
    expect(rejected?.msg).toContain('Invalid token');
    expect(panel.applied).toEqual([]);

    panel.token = realToken;
    // A panel cannot recognise a resend, so it gets one record per round, each saved as in flight; the daemon drains.
    await dispatcher.deliver({ force: true, drain: true });
    expect(ledger.snapshot?.cursors.panel).toBe(2);
    expect(ledger.snapshot?.inFlight ?? {}).toEqual({});
    expect(ledger.snapshot?.outbox).toEqual([]);
    expect(panel.totals()).toEqual({ '1': [100, 200], '7': [1, 2] });
    expect(log.text()).not.toContain(TOKEN);
  });
});
