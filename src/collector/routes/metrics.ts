/** GET /metrics in the Prometheus text format (unauthenticated, like node_exporter; holds no secrets). */
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { doc } from './schemas.js';

export const metricsRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/metrics',
      { schema: { ...doc('operations', 'none', 'Prometheus metrics (text exposition format; no secrets)') } },
      async (_req, reply) => {
        const text = await ctx.metrics.registry.metrics();
        return reply.type(ctx.metrics.registry.contentType).send(text);
      },
    );
  };
