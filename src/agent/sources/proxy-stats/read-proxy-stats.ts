/**
 * Reads the per-user counters of a V2Ray/v2fly or Xray core through its gRPC StatsService.
 *
 * The read never resets a counter (reset=false): the counters are cumulative since the core started and the
 * accounting core works out deltas itself, so a lost or repeated read costs nothing. The core's uptime is read
 * before and after the counters; if it went back, the core restarted in between and the read is refused, so a
 * snapshot's counters always belong to the process whose uptime it reports.
 */
import { ProxyStatsError } from './errors.js';
import { clientFor, toProxyStatsError, unaryCall } from './stats-client.js';
import { PROXY_STATS_APIS, statsMethods, type ProxyStatsApi, type StatWire } from './stats-proto.js';

export interface ReadProxyStatsOptions {
  /** host:port of the core's api inbound, e.g. "127.0.0.1:10085" (any grpc-js target works). */
  address: string;
  /** Which package the core serves StatsService under: 'v2ray' (V2Ray, v2fly) or 'xray'. */
  api: ProxyStatsApi;
  /** Deadline for the whole read (three calls). */
  timeoutMs: number;
}

export interface ProxyStatsSnapshot {
  /** Seconds since the core's stats service started, as the core reports it (whole seconds, may be 0). */
  uptimeSec: number;
  /** Counter name (e.g. "user>>>1>>>traffic>>>downlink") -> cumulative bytes, exact. */
  counters: Map<string, bigint>;
}

/** The QueryStats pattern: a substring match, so this also matches names that merely contain it. */
export const USER_COUNTER_PATTERN = 'user>>>';

const INT64_RE = /^-?\d+$/;

function assertOptions(opts: ReadProxyStatsOptions): void {
  if (typeof opts.address !== 'string' || opts.address.trim() === '') {
    throw new TypeError(`readProxyStats: address must be a non-empty "host:port", got ${JSON.stringify(opts.address)}`);
  }
  if (!PROXY_STATS_APIS.includes(opts.api)) {
    throw new TypeError(
      `readProxyStats: api must be one of ${PROXY_STATS_APIS.join(', ')}, got ${JSON.stringify(opts.api)}`,
    );
  }
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) {
    throw new RangeError(`readProxyStats: timeoutMs must be a positive number, got ${opts.timeoutMs}`);
  }
}

function toCounters(stats: readonly StatWire[], address: string): Map<string, bigint> {
  const counters = new Map<string, bigint>();
  for (const { name, value } of stats) {
    if (typeof value !== 'string' || !INT64_RE.test(value)) {
      throw new ProxyStatsError(
        'PROXY_STATS_BAD_VALUE',
        `proxy stats at ${address}: counter ${JSON.stringify(name)} has value ${JSON.stringify(value)}, not an integer`,
        address,
      );
    }
    counters.set(name, BigInt(value));
  }
  return counters;
}

export async function readProxyStats(opts: ReadProxyStatsOptions): Promise<ProxyStatsSnapshot> {
  assertOptions(opts);
  const { address, api } = opts;
  const methods = statsMethods(api);
  const client = clientFor(address);
  const deadline = new Date(Date.now() + opts.timeoutMs);
  try {
    const before = await unaryCall(client, methods.getSysStats, {}, deadline);
    const query = await unaryCall(
      client,
      methods.queryStats,
      { pattern: USER_COUNTER_PATTERN, reset: false },
      deadline,
    );
    const after = await unaryCall(client, methods.getSysStats, {}, deadline);
    if (after.Uptime < before.Uptime) {
      throw new ProxyStatsError(
        'PROXY_STATS_RESTARTED',
        `proxy stats at ${address}: the core restarted during the read (uptime ${before.Uptime} s, then ${after.Uptime} s); read again`,
        address,
      );
    }
    return { uptimeSec: before.Uptime, counters: toCounters(query.stat, address) };
  } catch (error) {
    throw toProxyStatsError(error, address, api);
  }
}
