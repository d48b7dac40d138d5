/**
 * The collector's pino logger. Secrets never reach the log: Authorization headers and `token` body/query fields are
 * redacted, and the request serializer logs a URL's query as the router parsed it, keeping the values of known
 * harmless parameters only (see redactUrl).
 */
import { parse as parseQuery } from 'fast-querystring';
import { pino, type DestinationStream, type Logger } from 'pino';

/** Never logged: tokens travel in the Authorization header, in the query string and in panel bodies. */
export const LOG_REDACT = ['req.headers.authorization', 'req.query.token', 'req.body.token', 'headers.authorization'];

/** Parameters whose values are logged (when short and plain); every other value is logged as [redacted]. */
const SAFE_PARAMS = new Set(['node_id', 'node_type', 'from', 'to', 'step', 'bucket', 'window', 'limit']);
const SAFE_VALUE = /^[\w.:+-]{0,64}$/;
const SAFE_NAME = /^[A-Za-z_]{1,24}$/;

/**
 * A URL fit for the log. The query is parsed by the parser the router uses (fast-querystring, `&`-separated,
 * percent-decoded names), so `?tok%65n=`, `?%74oken=` and `node_id=4;token=` are seen as the router sees them;
 * the decision is by allowlist, not by spotting the text `token=`: only known harmless parameters keep their values,
 * and a parameter name that could itself be a secret is redacted too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(parseQuery(url.slice(q + 1)) as Record<string, string | string[]>)) {
    const shownName = SAFE_NAME.test(name) ? name : '[redacted]';
    for (const one of Array.isArray(value) ? value : [value])
      parts.push(`${shownName}=${SAFE_PARAMS.has(name) && SAFE_VALUE.test(one) ? one : '[redacted]'}`);
  }
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** JSON lines (journald, files, pipes); pretty, like the agent's, when no destination is given and a person watches. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const pretty = destination === undefined && process.stdout.isTTY === true;
  return pino(
    {
      level,
      base: { name: 'traffic-collector', pid: process.pid },
      ...(pretty ? { transport: { target: 'pino-pretty', options: { destination: 1 } } } : {}),
      redact: { paths: LOG_REDACT, censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
          method: req.method,
          url: redactUrl(req.url),
          remoteAddress: req.ip ?? req.socket?.remoteAddress,
        }),
      },
    },
    destination,
  );
}
