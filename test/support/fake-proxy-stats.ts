/**
 * A fake V2Ray/Xray StatsService on 127.0.0.1, served by @grpc/grpc-js from the project's own protos, for tests
 * that need per-user counters they control: the driver advances `user>>>EMAIL>>>traffic>>>uplink|downlink` by known
 * amounts, and restart() behaves like a core that restarted (uptime back to 0, every counter back to 0).
 *
 * Uptime starts at `initialUptimeSec` (default one day) so that a restart is plain to the agent's uptime check; a
 * restart with `{ rebind: true }` also closes the listening socket and binds the same port again, so a client has
 * to reconnect as it would after a real core restart.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import {
  PROXY_STATS_APIS,
  STATS_PACKAGES,
  protoDirFor,
  type ProxyStatsApi,
} from '../../src/agent/sources/proxy-stats/stats-proto.js';

export interface FakeProxyStats {
  readonly address: string;
  readonly port: number;
  readonly api: ProxyStatsApi;
  /** Calls answered so far. */
  readonly calls: { queryStats: number; getSysStats: number };
  readonly restarts: number;
  /** Adds bytes to one user's counters (created at 0 when new). */
  advance(email: string, up: bigint, down: bigint): void;
  /** Current counters by email. */
  counters(): Map<string, { up: bigint; down: bigint }>;
  restart(opts?: { rebind?: boolean }): Promise<void>;
  close(): Promise<void>;
}

const PROTO_FILES: Record<ProxyStatsApi, string> = { v2ray: 'v2ray-stats.proto', xray: 'xray-stats.proto' };

function serviceFor(api: ProxyStatsApi): grpc.ServiceDefinition {
  const def = protoLoader.loadSync(PROTO_FILES[api], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDirFor(new URL('../../src/agent/sources/proxy-stats/stats-proto.ts', import.meta.url))],
  });
  return def[`${STATS_PACKAGES[api]}.StatsService`] as grpc.ServiceDefinition;
}

export async function startFakeProxyStats(
  opts: { api?: ProxyStatsApi; port?: number; initialUptimeSec?: number } = {},
): Promise<FakeProxyStats> {
  const api = opts.api ?? 'v2ray';
  if (!PROXY_STATS_APIS.includes(api)) throw new TypeError(`unknown api ${api}`);
  const service = serviceFor(api);
  const users = new Map<string, { up: bigint; down: bigint }>();
  const calls = { queryStats: 0, getSysStats: 0 };
  let startedAt = Date.now();
  let uptimeBase = opts.initialUptimeSec ?? 86_400;
  let restarts = 0;
  let port = opts.port ?? 0;
  let server: grpc.Server | null = null;

  const uptime = () => uptimeBase + Math.floor((Date.now() - startedAt) / 1000);

  const names = (): Array<{ name: string; value: string }> => {
    const out: Array<{ name: string; value: string }> = [];
    for (const [email, c] of users) {
      out.push({ name: `user>>>${email}>>>traffic>>>uplink`, value: c.up.toString() });
      out.push({ name: `user>>>${email}>>>traffic>>>downlink`, value: c.down.toString() });
    }
    return out;
  };

  const impl: grpc.UntypedServiceImplementation = {
    QueryStats(
      call: grpc.ServerUnaryCall<{ pattern: string; reset: boolean }, unknown>,
      cb: grpc.sendUnaryData<unknown>,
    ) {
      calls.queryStats++;
      const { pattern, reset } = call.request;
      const stat = names().filter((s) => s.name.includes(pattern ?? ''));
      if (reset) for (const c of users.values()) (c.up = 0n), (c.down = 0n);
      cb(null, { stat });
    },
    GetSysStats(_call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) {
      calls.getSysStats++;
      cb(null, { Uptime: uptime() });
    },
  };

  const bind = async () => {
    const s = new grpc.Server();
    s.addService(service, impl);
    port = await new Promise<number>((resolve, reject) =>
      s.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    server = s;
  };
  const unbind = async () => {
    const s = server;
    server = null;
    if (s) await new Promise<void>((resolve) => s.tryShutdown(() => resolve()));
  };

  await bind();

  return {
    get address() {
      return `127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    api,
    calls,
    get restarts() {
      return restarts;
    },
    advance(email, up, down) {
      if (up < 0n || down < 0n) throw new RangeError('advance: counters only grow');
      const c = users.get(email) ?? { up: 0n, down: 0n };
      users.set(email, { up: c.up + up, down: c.down + down });
    },
    counters() {
      return new Map([...users].map(([k, v]) => [k, { ...v }]));
    },
    async restart(o = {}) {
      if (o.rebind) await unbind();
      for (const email of users.keys()) users.set(email, { up: 0n, down: 0n });
      uptimeBase = 0;
      startedAt = Date.now();
      restarts++;
      if (o.rebind) await bind();
    },
    async close() {
      await unbind();
    },
  };
}
