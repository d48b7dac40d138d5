import { afterEach, describe, expect, it } from 'vitest';
import { closeProxyStats, readProxyStats } from '../../src/agent/sources/proxy-stats/index.js';
import { startFakeProxyStats, type FakeProxyStats } from '../support/fake-proxy-stats.js';

let fake: FakeProxyStats | null = null;
afterEach(async () => {
  closeProxyStats();
  await fake?.close();
  fake = null;
});

describe('fake StatsService', () => {
  it("serves counters the driver advances, exactly, through the agent's own reader", async () => {
    fake = await startFakeProxyStats();
    fake.advance('1', 10n, 20n);
    fake.advance('2', 2n ** 60n, 1n);
    fake.advance('1', 5n, 0n);
    const snap = await readProxyStats({ address: fake.address, api: 'v2ray', timeoutMs: 2000 });
    expect(snap.uptimeSec).toBeGreaterThanOrEqual(86_400);
    expect(snap.counters.get('user>>>1>>>traffic>>>uplink')).toBe(15n);
    expect(snap.counters.get('user>>>1>>>traffic>>>downlink')).toBe(20n);
    expect(snap.counters.get('user>>>2>>>traffic>>>uplink')).toBe(2n ** 60n);
  });

  it('restarts like a core: uptime back to 0 and every counter to 0, on the same port after a rebind', async () => {
    fake = await startFakeProxyStats({ api: 'xray' });
    fake.advance('7', 100n, 200n);
    const port = fake.port;
    await fake.restart({ rebind: true });
    expect(fake.port).toBe(port);
    const snap = await readProxyStats({ address: fake.address, api: 'xray', timeoutMs: 5000 });
    expect(snap.uptimeSec).toBeLessThan(5);
    expect(snap.counters.get('user>>>7>>>traffic>>>uplink')).toBe(0n);
    expect(fake.restarts).toBe(1);
  });
});
