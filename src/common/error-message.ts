/**
 * Narrowing of an unknown thrown value, in one place: `catch (err)` gives `unknown`, and a thrown value need not be
 * an Error at all (a string, a rejected promise's reason). Shared by the agent and the collector.
 */

/** The message of anything thrown: an Error's message, or the value itself as text. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  try {
    return String(err);
  } catch {
    // An object whose toString throws (or a null-prototype object): say what it is rather than throw from a catch.
    return Object.prototype.toString.call(err);
  }
}

/** The `code` property of a thrown value (a Node errno code such as ENOENT, a coded error), if it has a string one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
