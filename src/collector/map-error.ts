/**
 * Fastify's own errors and ours -> a CollectorError with a stable code (errors.ts). Fastify's codes are looked at
 * first: several of its errors are RangeErrors (a body over the limit is FST_ERR_CTP_BODY_TOO_LARGE), so no error is
 * mapped by its class alone. Anything not recognised is TC_INTERNAL, which the bad-input suite proves unreachable.
 */
import type { FastifyError } from 'fastify';
import { enumMessage } from '../common/schema-hints.js';
import { CollectorError } from './errors.js';

export function mapError(err: FastifyError): CollectorError {
  if (err instanceof CollectorError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CollectorError('TC_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CollectorError('TC_BAD_CONTENT_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CollectorError('TC_BAD_JSON');
    default:
      break;
  }
  if (err.validation) {
    const first = err.validation[0];
    if (first?.keyword === 'maxItems' && first.instancePath === '/records')
      return new CollectorError('TC_TOO_MANY_RECORDS');
    // A union of constants reports "must be equal to constant" per branch; its anyOf error lists the allowed values.
    const union = err.validation.find(
      (e) => e.keyword === 'anyOf' && e.instancePath === first?.instancePath && enumMessage(e as never),
    );
    const message = union ? enumMessage(union as never) : (enumMessage(first as never) ?? first?.message ?? '');
    return new CollectorError(
      'TC_VALIDATION',
      `${err.validationContext ?? 'body'}${first?.instancePath ?? ''} ${message}`.trim(),
    );
  }
  if (err instanceof SyntaxError) return new CollectorError('TC_BAD_JSON', err.message);
  // SQLite: another process (a sqlite3 shell, a backup) held the database locked for all of busy_timeout. The
  // database is unavailable for now, not broken: 503, which the agent retries with backoff.
  if (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')
    return new CollectorError('TC_DB_UNAVAILABLE', 'the database is locked by another process');
  switch (err.statusCode) {
    case 400:
      return new CollectorError('TC_BAD_JSON', err.message);
    case 405:
      return new CollectorError('TC_METHOD_NOT_ALLOWED');
    case 413:
      return new CollectorError('TC_BODY_TOO_LARGE');
    case 415:
      return new CollectorError('TC_BAD_CONTENT_TYPE');
    case 503:
      return new CollectorError('TC_OVERLOADED');
    default:
      break;
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return new CollectorError('TC_VALIDATION', err.message);
  return new CollectorError('TC_INTERNAL');
}
