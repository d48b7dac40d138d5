/**
 * Errors of the proxy-stats source. Their codes are the PROXY_STATS_* rows of the agent's one error table
 * (src/agent/errors.ts); callers branch on `code`, never on the message.
 */
import { AgentError, type AgentErrorCode } from '../../errors.js';

export type ProxyStatsErrorCode = Extract<AgentErrorCode, `PROXY_STATS_${string}`>;

export class ProxyStatsError extends AgentError {
  declare readonly code: ProxyStatsErrorCode;

  constructor(
    code: ProxyStatsErrorCode,
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, [], options);
    this.name = 'ProxyStatsError';
  }
}
