import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  closeProxyStats,
  parseUserCounters,
  readProxyStats,
  type ReadProxyStatsOptions,
} from '../../../src/agent/sources/proxy-stats/index.js';
import {
  fetchThroughProxy,
  startByteServer,
  startV2RayPair,
  type ByteServer,
  type V2RayPair,
} from '../../support/v2ray.js';

const KiB = 1024;
const USER1_BYTES = 300 * KiB;
const USER2_BYTES = 1024 * KiB;
/** Counters see the HTTP response headers too, but nothing near this much more. */
const HEADER_SLACK = 4 * KiB;

const down = (email: string) => `user>>>${email}>>>traffic>>>downlink`;
const up = (email: string) => `user>>>${email}>>>traffic>>>uplink`;

async function unusedAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

describe('readProxyStats against a real V2Ray 4.34', () => {
  let pair: V2RayPair | undefined;
  let bytes: ByteServer | undefined;
  let opts: ReadProxyStatsOptions;

  beforeAll(async () => {
    bytes = await startByteServer();
    pair = await startV2RayPair(); // throws, naming `apt-get install -y v2ray`, when the binary is missing
    opts = { address: pair.apiAddress, api: 'v2ray', timeoutMs: 5_000 };
  });

  afterAll(async () => {
    closeProxyStats();
    await pair?.stop();
    await bytes?.close();
  });

  it("counts each user's traffic exactly, and reading never resets a counter", async () => {
    const before = await readProxyStats(opts);
    expect(before.counters.get(down('1')) ?? 0n).toBe(0n);

    expect(await fetchThroughProxy(bytes!.urlFor(USER1_BYTES), pair!.proxyFor('1'))).toBe(USER1_BYTES);
    expect(await fetchThroughProxy(bytes!.urlFor(USER2_BYTES), pair!.proxyFor('2'))).toBe(USER2_BYTES);

    const first = await readProxyStats(opts);
    const down1 = first.counters.get(down('1'))!;
    const down2 = first.counters.get(down('2'))!;
    expect(down1).toBeGreaterThanOrEqual(BigInt(USER1_BYTES));
    expect(down1).toBeLessThan(BigInt(USER1_BYTES + HEADER_SLACK));
    expect(down2).toBeGreaterThanOrEqual(BigInt(USER2_BYTES));
    expect(down2).toBeLessThan(BigInt(USER2_BYTES + HEADER_SLACK));
    expect(down2).toBeGreaterThan(down1);
    expect(first.counters.get(up('1'))).toBeGreaterThan(0n); // the request line and headers

    // A second read without traffic in between sees exactly the same counters.
    const second = await readProxyStats(opts);
    expect(second.counters).toEqual(first.counters);

    // More traffic for user 1 adds to the old total; a reset would have restarted it near 100 KiB.
    await fetchThroughProxy(bytes!.urlFor(100 * KiB), pair!.proxyFor('1'));
    const third = await readProxyStats(opts);
    expect(third.counters.get(down('1'))).toBeGreaterThanOrEqual(down1 + BigInt(100 * KiB));
    expect(third.counters.get(down('2'))).toBe(down2);

    const { users, skipped } = parseUserCounters(third.counters);
    expect([...users.keys()].sort()).toEqual(['1', '2']);
    expect(users.get('2')).toEqual({ up: third.counters.get(up('2')), down: down2 });
    expect(skipped).toEqual([]);
  });

  it("reports the core's uptime in whole seconds, growing past 0", async () => {
    await vi.waitFor(async () => expect((await readProxyStats(opts)).uptimeSec).toBeGreaterThan(0), {
      timeout: 5_000,
      interval: 200,
    });
  });

  it('says to try the other userTraffic.api when the core serves another package', async () => {
    await expect(readProxyStats({ ...opts, api: 'xray' })).rejects.toMatchObject({
      code: 'PROXY_STATS_WRONG_API',
      message: expect.stringMatching(/xray\.app\.stats\.command\.StatsService.*set userTraffic\.api to "v2ray"/),
    });
  });

  it('reads again after its clients were closed', async () => {
    closeProxyStats(opts.address);
    expect((await readProxyStats(opts)).counters.size).toBeGreaterThan(0);
  });
});

describe('readProxyStats without a core', () => {
  afterAll(() => closeProxyStats());

  it('fails fast with PROXY_STATS_UNREACHABLE naming the address', async () => {
    const address = await unusedAddress();
    const started = Date.now();
    await expect(readProxyStats({ address, api: 'v2ray', timeoutMs: 3_000 })).rejects.toMatchObject({
      code: 'PROXY_STATS_UNREACHABLE',
      address,
      message: expect.stringContaining(`cannot reach the core's API at ${address}`),
    });
    expect(Date.now() - started).toBeLessThan(3_000); // connection refused, not a timeout
  });

  it('rejects bad options before connecting, naming the value', async () => {
    await expect(readProxyStats({ address: '', api: 'v2ray', timeoutMs: 1 })).rejects.toThrow(/address .* got ""/);
    await expect(readProxyStats({ address: '127.0.0.1:1', api: 'trojan' as 'v2ray', timeoutMs: 1 })).rejects.toThrow(
      /api must be one of v2ray, xray, got "trojan"/,
    );
    await expect(readProxyStats({ address: '127.0.0.1:1', api: 'v2ray', timeoutMs: 0 })).rejects.toThrow(
      /timeoutMs .* got 0/,
    );
  });
});
