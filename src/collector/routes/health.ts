/** GET /healthz: 200 when the database answers, 503 TC_DB_UNAVAILABLE otherwise. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { Type } from '@sinclair/typebox';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { doc } from './schemas.js';

export const healthRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/healthz',
      {
        schema: {
          ...doc('operations', 'none', 'Liveness: 200 when the database answers, 503 otherwise'),
          response: {
            200: Type.Object(
              { ok: Type.Literal(true), engine: Type.Union([Type.Literal('sqlite'), Type.Literal('postgres')]) },
              { additionalProperties: false },
            ),
            503: ErrorBody,
          },
        },
      },
      async () => {
        try {
          await ctx.store.ping();
        } catch (err) {
          throw new CollectorError('TC_DB_UNAVAILABLE', (err as Error).message);
        }
        return { ok: true, engine: ctx.store.engine };
      },
    );
  };
