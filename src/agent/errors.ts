/**
 * Every error the agent reports, with a stable code. Codes are part of the operator interface (logs, exit status):
 * never renumber or reuse one. README.md lists them.
 */
export const AGENT_ERRORS = Object.freeze({
  CONFIG_INVALID: { exit: 1, message: 'the configuration is invalid' },
  CONFIG_UNREADABLE: { exit: 1, message: 'the configuration file cannot be read' },
  STATE_DIR_UNUSABLE: { exit: 2, message: 'the state directory cannot be read or created' },
  STATE_CORRUPT: { exit: 0, message: 'a state file is corrupt; it was set aside' },
  STATE_WRITE_FAILED: { exit: 0, message: 'the state could not be written; counting goes on in memory' },
  PROC_UNREADABLE: { exit: 3, message: 'a /proc file cannot be read' },
  PROC_MALFORMED: { exit: 3, message: 'a /proc file has unexpected content' },
  DELIVERY_FAILED: { exit: 0, message: 'a delivery attempt failed; the records stay queued' },
  DELIVERY_REJECTED: { exit: 0, message: 'the receiver refused the request; the records stay queued' },
} as const);

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
