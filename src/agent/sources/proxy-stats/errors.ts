/**
 * Errors of the proxy-stats source, each with a stable code. Callers branch on `code`, never on the message.
 */
export const PROXY_STATS_ERRORS = Object.freeze({
  PROXY_STATS_UNREACHABLE: "the core's API address did not answer (not listening, or too slow)",
  PROXY_STATS_WRONG_API: 'the core does not serve StatsService under the configured package name',
  PROXY_STATS_RESTARTED: 'the core restarted while its counters were being read',
  PROXY_STATS_BAD_VALUE: 'the core sent a counter value that is not an integer',
  PROXY_STATS_FAILED: 'any other gRPC failure',
} as const);

export type ProxyStatsErrorCode = keyof typeof PROXY_STATS_ERRORS;

export class ProxyStatsError extends Error {
  override readonly name = 'ProxyStatsError';

  constructor(
    readonly code: ProxyStatsErrorCode,
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
