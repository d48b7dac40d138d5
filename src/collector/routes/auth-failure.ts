/**
 * What every route does with a failed authentication: count it for the client address; past the limit, answer 429
 * with Retry-After instead of 401/422 and keep the log quiet (one warn line when an address crosses the limit).
 * Only failures reach this: valid credentials are served whatever the address's count.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';

/** Counts the failure; true when it is to be answered 429 (Retry-After is set on the reply). */
export function throttleFailure(ctx: AppContext, req: FastifyRequest, reply: FastifyReply): boolean {
  const { retryAfterSec, crossed } = ctx.limiter.fail(req.ip);
  if (!retryAfterSec) return false;
  reply.header('retry-after', String(retryAfterSec));
  if (crossed)
    req.log.warn(
      { address: req.ip, perMinute: ctx.config.authFailuresPerMinute },
      'failed-auth limit reached for this address: its further failures are answered 429 and not logged until the minute ends',
    );
  else req.log.level = 'error';
  return true;
}
