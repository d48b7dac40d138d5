/** The per-user traffic source: read the core's counters (readProxyStats), then map them to users (parseUserCounters). */
export { readProxyStats, USER_COUNTER_PATTERN } from './read-proxy-stats.js';
export type { ReadProxyStatsOptions, ProxyStatsSnapshot } from './read-proxy-stats.js';
export { closeProxyStats } from './stats-client.js';
export { parseUserCounters, compileEmailPattern, DEFAULT_EMAIL_PATTERN } from './parse-user-counters.js';
export type { ParsedUserCounters, UserTraffic } from './parse-user-counters.js';
export { ProxyStatsError } from './errors.js';
export type { ProxyStatsErrorCode } from './errors.js';
export { PROXY_STATS_APIS, STATS_PACKAGES, protoDirFor } from './stats-proto.js';
export type { ProxyStatsApi } from './stats-proto.js';
