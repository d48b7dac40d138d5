/** Polls `cond` until it holds, or throws naming `what` (and, when given, what `context()` says) after `ms`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  opts: { ms?: number; everyMs?: number; context?: () => string } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.ms ?? 15_000);
  while (!(await cond())) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${opts.context ? `; ${opts.context()}` : ''}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 20));
  }
}
