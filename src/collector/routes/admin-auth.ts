/** onRequest hook of the read API: `Authorization: Bearer <adminToken>`, failures counted per client address. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { bearerToken, hashMatches, hashToken } from '../tokens.js';

export function adminAuth(ctx: AppContext) {
  return async (req: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (ctx.limiter.blocked(req.ip)) throw new CollectorError('TC_RATE_LIMITED');
    const token = bearerToken(req.headers.authorization) ?? '';
    if (!hashMatches(hashToken(token), ctx.adminTokenHash)) {
      ctx.limiter.fail(req.ip);
      throw new CollectorError('TC_UNAUTHORIZED');
    }
  };
}
