/** Exponential backoff with full jitter (as in the AWS architecture note): random in [base*2^n / 2, base*2^n], capped. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** The agent's policy: from one second (or one interval, if shorter) up to ten intervals, at most five minutes. */
export function backoffPolicyFor(heartbeatIntervalSec: number): BackoffPolicy {
  const intervalMs = heartbeatIntervalSec * 1000;
  return { baseMs: Math.min(1000, intervalMs), capMs: Math.max(1000, Math.min(300_000, intervalMs * 10)) };
}
