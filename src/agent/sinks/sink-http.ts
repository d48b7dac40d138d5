/**
 * What the HTTP sinks and the panel poll share: building an endpoint URL under a base URL, a form of it that is safe
 * to log (the panel's token travels in the query string), reading answers, and keeping secrets out of error text.
 */

/**
 * `<base><path>?<query>`, keeping a path in the base (a panel served under /panel stays under /panel).
 * Unlike `new URL('/api/…', base)`, which would drop it.
 */
export function endpointUrl(base: string, path: string, query: Readonly<Record<string, string | number>>): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, String(v));
  return url;
}

/** Origin and path only: never the query (it may hold the token) nor credentials in the authority. */
export function loggableUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON: the callers treat it as not a success and quote the answer's start
  }
}

/** A push or status call succeeded: `{"data":true}` (our collector, Xboard) or `{"status":"success"}` (v2board style). */
export function isPushSuccess(text: string): boolean {
  const answer = parseJson(text);
  if (typeof answer !== 'object' || answer === null) return false;
  const a = answer as { data?: unknown; status?: unknown };
  return a.data === true || a.status === 'success';
}

/**
 * The `message` of a JSON error answer (`{"message":"Invalid token",…}` or our collector's
 * `{"error":{"message":…}}`), else the start of the text.
 */
export function answerMessage(text: string): string {
  const answer = parseJson(text) as { message?: unknown; error?: { message?: unknown } } | undefined;
  if (typeof answer === 'object' && answer !== null) {
    const message = typeof answer.message === 'string' ? answer.message : answer.error?.message;
    if (typeof message === 'string') return message.slice(0, 300);
  }
  return text.slice(0, 300).trim() || '(empty body)';
}

/** The `code` of a JSON error answer, in our collector's shape (`{"error":{"code":…}}`) or flat (`{"code":…}`). */
export function answerCode(text: string): string | null {
  const answer = parseJson(text) as { code?: unknown; error?: { code?: unknown } } | undefined;
  if (typeof answer !== 'object' || answer === null) return null;
  const code = typeof answer.code === 'string' ? answer.code : answer.error?.code;
  return typeof code === 'string' ? code : null;
}

/** The text with every occurrence of the secret replaced (a panel's debug error page may echo the URL, token and all). */
export function withoutSecret(text: string, secret: string): string {
  return secret === '' ? text : text.split(secret).join('[redacted]');
}

/**
 * Connections to a panel are kept only briefly: pushes come a minute apart, and reusing a connection the panel's web
 * server is closing at that moment turns a push that never arrived into one that looks lost.
 */
export const PANEL_KEEP_ALIVE_MS = 4_000;

/** Statuses that say "try later" rather than "this request is wrong". */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Sum of the uploads and of the downloads of a per-user record, for the logs. */
export function userTotals(users: Readonly<Record<string, readonly [string, string]>>): {
  users: number;
  up: string;
  down: string;
} {
  let up = 0n;
  let down = 0n;
  for (const [u, d] of Object.values(users)) {
    up += BigInt(u);
    down += BigInt(d);
  }
  return { users: Object.keys(users).length, up: up.toString(), down: down.toString() };
}
