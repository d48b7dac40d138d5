/**
 * The collector's pino logger. Secrets never reach the log: Authorization headers and `token` body/query fields are
 * redacted, and the request serializer strips `token=` from logged URLs (panel backends send it in the query string).
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import { LOG_REDACT } from './app.js';

export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
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
