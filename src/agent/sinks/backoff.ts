/** Exponential backoff with full jitter (as in the AWS architecture note): random in [base*2^n / 2, base*2^n], capped. */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(30, Math.max(0, failures - 1)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
