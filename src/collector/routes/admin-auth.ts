/**
 * onRequest hook of the read API: `Authorization: Bearer <adminToken>`, checked before any body is read. A valid token
 * is always served; failures are counted per client address (auth-failure.ts).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { bearerToken, hashMatches, hashToken } from '../tokens.js';
import { throttleFailure } from './auth-failure.js';

export function adminAuth(ctx: AppContext) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const token = bearerToken(req.headers.authorization) ?? '';
    if (hashMatches(hashToken(token), ctx.adminTokenHash)) return;
    throw new CollectorError(throttleFailure(ctx, req, reply) ? 'TC_RATE_LIMITED' : 'TC_UNAUTHORIZED');
  };
}
