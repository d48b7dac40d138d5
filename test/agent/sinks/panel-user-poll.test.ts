import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../src/agent/config/load-config.js';
import { DaemonPanelPoll } from '../../../src/agent/daemon/panel-poll.js';
import { PanelUserPoll, type PanelUserPollOptions } from '../../../src/agent/sinks/panel-user-poll.js';
import { freePort } from '../../support/free-port.js';
import { startPanelStandIn, type PanelStandIn } from '../../support/panel-stand-in.js';
import { captureLogger, type CapturedLog } from './sink-fixtures.js';

const TOKEN = 'panel-secret-token';
let panel: PanelStandIn | undefined;
const polls: Array<{ stop(): Promise<void> }> = [];

afterEach(async () => {
  await Promise.all(polls.splice(0).map((p) => p.stop()));
  await panel?.close();
  panel = undefined;
});

function poll(url: string, log: CapturedLog, over: Partial<PanelUserPollOptions> = {}): PanelUserPoll {
  const p = new PanelUserPoll({
    url,
    token: TOKEN,
    nodeId: 5,
    nodeType: 'vmess',
    everySec: 60,
    timeoutMs: 2_000,
    logger: log.logger,
    ...over,
  });
  polls.push(p);
  return p;
}

describe('PanelUserPoll against a panel stand-in', () => {
  it('asks for the user list per the contract, then sends If-None-Match and takes a 304 with an empty body', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const p = poll(panel.url, log);

    expect(await p.pollOnce()).toMatchObject({ kind: 'users', count: 2 });
    const first = panel.requests[0];
    expect(first.method).toBe('GET');
    expect(first.path).toBe('/api/v1/server/UniProxy/user');
    expect(first.query).toEqual({ token: TOKEN, node_id: '5', node_type: 'vmess' });
    expect(first.headers['if-none-match']).toBeUndefined();
    expect(p.etag).toMatch(/^"[0-9a-f]{40}"$/);
    expect(panel.lastCheckAt.get(5)).toBeGreaterThan(0); // the node shows online

    expect(await p.pollOnce()).toEqual({ kind: 'not-modified' });
    expect(panel.requests[1].headers['if-none-match']).toBe(p.etag);
    expect(p.counts).toEqual({ users: 1, notModified: 1, failed: 0 });
    expect(p.userCount).toBe(2);

    // The user list changes on the panel: a new tag, a full answer.
    const oldTag = p.etag;
    panel.users = panel.users.slice(0, 1);
    expect(await p.pollOnce()).toMatchObject({ kind: 'users', count: 1 });
    expect(p.etag).not.toBe(oldTag);
    expect(log.text()).not.toContain(TOKEN);
  });

  it('logs only transitions: unreachable once, back once, and never the token', async () => {
    const port = await freePort();
    const log = captureLogger();
    const p = poll(`http://127.0.0.1:${port}`, log);

    expect(await p.pollOnce()).toMatchObject({ kind: 'failed' });
    expect(await p.pollOnce()).toMatchObject({ kind: 'failed' });
    panel = await startPanelStandIn({ token: TOKEN, port });
    expect(await p.pollOnce()).toMatchObject({ kind: 'users' });
    expect(await p.pollOnce()).toEqual({ kind: 'not-modified' });

    const events = log
      .lines()
      .map((l) => l.event)
      .filter(Boolean);
    expect(events).toEqual(['panel-unreachable', 'panel-back']);
    expect(log.lines()[0].msg).toContain('ECONNREFUSED');
    expect(log.text()).toContain(`http://127.0.0.1:${port}/api/v1/server/UniProxy/user`);
    expect(log.text()).not.toContain(TOKEN);
    expect(log.text()).not.toContain('token=');
  });

  it("reports a bad token as the panel's refusal, without the token", async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    const p = poll(panel.url, log, { token: 'not-the-token' });
    const out = await p.pollOnce();
    expect(out).toMatchObject({ kind: 'failed' });
    expect(out.kind === 'failed' && out.reason).toContain('refused with 422: Invalid token');
    expect(log.text()).toContain('Invalid token');
    expect(log.text()).not.toContain('not-the-token');
    expect(panel.lastCheckAt.size).toBe(0);
  });

  it('keeps the token out of the log when an error page echoes the URL', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const log = captureLogger();
    panel.nextAnswer = (requestUrl) => ({ status: 500, body: `Whoops at ${requestUrl}` });
    const out = await poll(panel.url, log).pollOnce();
    expect(out.kind === 'failed' && out.reason).toContain(
      'failed with 500: Whoops at /api/v1/server/UniProxy/user?token=[redacted]',
    );
    expect(log.text()).not.toContain(TOKEN);
  });

  it('start() polls at once and then every everySec; stop() ends it', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const p = poll(panel.url, captureLogger(), { everySec: 0.1 });
    p.start();
    await vi.waitFor(() => expect(panel!.requests.length).toBeGreaterThanOrEqual(3), { timeout: 3_000 });
    await p.stop();
    const ofNode = (id: string) => panel!.requests.filter((r) => r.query.node_id === id).length;
    const seen = ofNode('5');
    // The window: a witness poller (node 6) at the same cadence makes three polls; the stopped one (node 5) none.
    const witness = poll(panel.url, captureLogger(), { everySec: 0.1, nodeId: 6 });
    witness.start();
    await vi.waitFor(() => expect(ofNode('6')).toBeGreaterThanOrEqual(3), { timeout: 3_000 });
    await witness.stop();
    expect(ofNode('5')).toBe(seen);
    const fromP = panel.requests.filter((r) => r.query.node_id === '5');
    expect(fromP.slice(1).every((r) => r.headers['if-none-match'] === p.etag)).toBe(true);
  });

  it('the daemon runs it only while panel.url is set, and rebuilds it on reload', async () => {
    panel = await startPanelStandIn({ token: TOKEN });
    const base = {
      node: { id: 3, token: 'n' },
      collector: { url: 'http://127.0.0.1:9' },
      userTraffic: { enabled: true },
    };
    const daemonPoll = new DaemonPanelPoll(captureLogger().logger);
    polls.push(daemonPoll);

    await daemonPoll.apply(resolveConfig(base, {}));
    expect(daemonPoll.current).toBeNull();

    await daemonPoll.apply(
      resolveConfig({ ...base, panel: { url: panel.url, nodeId: 5, token: TOKEN, userPollSec: 60 } }, {}),
    );
    await vi.waitFor(() => expect(panel!.lastCheckAt.get(5)).toBeGreaterThan(0), { timeout: 3_000 });

    await daemonPoll.apply(resolveConfig(base, {}));
    expect(daemonPoll.current).toBeNull();
  });
});
