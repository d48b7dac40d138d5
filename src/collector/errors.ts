/**
 * Every error of the collector's own API, defined once: a stable code, an HTTP status and a message.
 * Each code is documented in ERRORS.md (test/collector/errors-documented.test.ts checks it).
 * The Xboard-compatible endpoints answer in the panel's own shapes instead (routes/panel-errors.ts).
 */
import type { ErrorBody } from '../protocol/heartbeat.js';

export const ERRORS = Object.freeze({
  TC_BAD_JSON: { status: 400, message: 'The body is not valid JSON' },
  TC_BAD_CONTENT_TYPE: { status: 415, message: 'The body must be application/json' },
  TC_VALIDATION: { status: 400, message: 'The request does not match the schema' },
  TC_BAD_COUNT: { status: 400, message: 'A byte count is not an unsigned 64-bit integer' },
  TC_RECORDS_ORDER: { status: 400, message: 'Records must be in strictly ascending seq order with from <= to' },
  TC_TOO_MANY_RECORDS: { status: 413, message: 'Too many records in one heartbeat' },
  TC_BODY_TOO_LARGE: { status: 413, message: 'The body is larger than the configured limit' },
  TC_UNAUTHORIZED: { status: 401, message: 'Missing or wrong bearer token' },
  TC_RATE_LIMITED: { status: 429, message: 'Too many failed authentications from this address; retry later' },
  TC_NODE_NOT_FOUND: { status: 404, message: 'No such node' },
  TC_NOT_FOUND: { status: 404, message: 'No such route' },
  TC_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  TC_COUNTER_OVERFLOW: { status: 422, message: 'The node total would exceed 2^63-1 bytes, the storage ceiling' },
  TC_USER_COUNTER_OVERFLOW: {
    status: 422,
    message: 'A per-user row would exceed 2^63-1 bytes, the storage ceiling; nothing of the push stored',
  },
  TC_SEQ_TOO_FAR_AHEAD: {
    status: 422,
    message: 'A record seq is further above the epoch high-water seq than an agent can send; nothing stored',
  },
  TC_RECORD_CONFLICT: {
    status: 409,
    message: 'A record (node, epoch, seq) or push key is already held with different contents; nothing of it stored',
  },
  TC_BAD_RANGE: { status: 400, message: 'from/to must be unix ms or ISO dates with from < to' },
  TC_BAD_REPORT: { status: 400, message: 'The report cannot be made as asked' },
  TC_DB_UNAVAILABLE: { status: 503, message: 'The database is not reachable' },
  TC_OVERLOADED: {
    status: 503,
    message: 'The collector is over its configured event-loop delay or heap; retry after the Retry-After seconds',
  },
  TC_STREAMS_FULL: {
    status: 503,
    message: 'As many live streams are open as the collector allows (liveMaxStreams); poll, or retry later',
  },
  TC_POOL_NOT_FOUND: { status: 404, message: 'No such pool' },
  TC_POOL_EXISTS: { status: 409, message: 'A pool of that name exists' },
  TC_QUOTA_NOT_FOUND: { status: 404, message: 'No such quota' },
  TC_BAD_QUOTA: { status: 400, message: 'The quota is not valid' },
  TC_INTERNAL: { status: 500, message: 'Internal error' },
} as const);

export type ErrorCode = keyof typeof ERRORS;

export class CollectorError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message);
    this.code = code;
    this.statusCode = ERRORS[code].status;
  }
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message } };
  }
}

export function errorBody(code: ErrorCode, detail?: string): ErrorBody {
  return new CollectorError(code, detail).toBody();
}
