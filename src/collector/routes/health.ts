/** GET /healthz: 200 when the database answers, 503 TC_DB_UNAVAILABLE otherwise. */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { doc } from './schemas.js';

export const healthRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/healthz',
      { schema: { ...doc('operations', 'none', 'Liveness: 200 when the database answers, 503 otherwise') } },
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
