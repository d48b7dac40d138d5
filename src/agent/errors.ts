/**
 * Every error the agent reports, with a stable code: the one closed table. Codes are part of the operator interface
 * (log lines' `code`, exit status): never renumber or reuse one. src/agent/ERRORS.md lists them (a test keeps the two
 * in step). `exit` is the status a command ends with when this error ends it; 0 marks errors that never end the
 * process (they are logged and the agent goes on).
 */
import { errorMessage } from '../common/error-message.js';

export const AGENT_ERRORS = Object.freeze({
  CONFIG_INVALID: { exit: 1, message: 'the configuration is invalid' },
  CONFIG_UNREADABLE: { exit: 1, message: 'the configuration file cannot be read' },
  STATE_DIR_UNUSABLE: { exit: 2, message: 'the state directory cannot be read or created' },
  STATE_DIR_INSECURE: { exit: 2, message: 'the state directory is writable by other users' },
  STATE_LOCKED: { exit: 4, message: 'another traffic-agent process is writing this state directory' },
  STATE_CORRUPT: { exit: 0, message: 'a state file is corrupt; it was set aside' },
  STATE_WRITE_FAILED: {
    exit: 5,
    message: 'the state could not be written; the daemon counts on in memory, once exits 5',
  },
  PROC_UNREADABLE: { exit: 3, message: 'a /proc file cannot be read' },
  PROC_MALFORMED: { exit: 3, message: 'a /proc file has unexpected content' },
  TICK_FAILED: { exit: 0, message: 'a tick failed; nothing counted is lost, the next tick tries again' },
  DELIVERY_FAILED: { exit: 0, message: 'a delivery attempt failed; the records stay queued' },
  DELIVERY_REJECTED: { exit: 0, message: 'the receiver refused the request; the records stay queued' },
  RECORD_CONFLICT: { exit: 0, message: 'the collector holds this record with other contents; it stays queued' },
  PROXY_STATS_UNREACHABLE: { exit: 0, message: "the proxy core's API address did not answer" },
  PROXY_STATS_WRONG_API: { exit: 0, message: 'the core does not serve StatsService under the configured package name' },
  PROXY_STATS_RESTARTED: { exit: 0, message: 'the core restarted while its counters were being read' },
  PROXY_STATS_BAD_VALUE: { exit: 0, message: 'the core sent a counter value that is not an integer' },
  PROXY_STATS_FAILED: { exit: 0, message: 'any other failure reading the proxy core' },
  HOST_FACTS_FAILED: { exit: 0, message: 'host facts (OS, CPU, memory) could not be gathered' },
  METRICS_LISTEN_FAILED: { exit: 0, message: 'the /metrics endpoint cannot listen on metrics.listen' },
  SYSTEMD_NOTIFY_FAILED: { exit: 0, message: 'a readiness/watchdog notification to systemd failed' },
  RELOAD_STATUS_FAILED: { exit: 0, message: 'the reload status file for `traffic-agent reload` cannot be written' },
  INTERNAL: { exit: 70, message: 'a bug: an error nothing expected' },
} as const satisfies Record<string, { exit: number; message: string }>);

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly details: readonly string[];

  constructor(code: AgentErrorCode, message: string, details: readonly string[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AgentError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return AGENT_ERRORS[this.code].exit;
  }
}

export { errorMessage };

/** Any thrown value as an AgentError: itself if it is one, else wrapped under `code` with its message and cause. */
export function toAgentError(err: unknown, code: AgentErrorCode): AgentError {
  if (err instanceof AgentError) return err;
  return new AgentError(code, errorMessage(err), [], { cause: err });
}

/**
 * The fields of a log line that reports an error. Log lines take their `code` from here, so only a code of the table
 * compiles (test/agent/errors-documented.test.ts also refuses a `code: '…'` literal anywhere else in src/agent).
 */
export function withCode<T extends object>(code: AgentErrorCode, fields?: T): { code: AgentErrorCode } & T {
  return { code, ...(fields as T) };
}
