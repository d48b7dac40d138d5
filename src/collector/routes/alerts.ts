/** GET /api/v1/alerts: the newest alerts of the ledger with each channel's delivery state. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { doc } from './schemas.js';
import type { AlertRow } from '../store/quota-store.js';
import { adminAuth } from './admin-auth.js';

const AlertsQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }) },
  { additionalProperties: false },
);

/** delivered: every channel took it; failed: one gave up; pending: still trying; none: no channel configured. */
export function deliveryState(a: AlertRow): 'delivered' | 'failed' | 'pending' | 'none' {
  if (!a.deliveries.length) return 'none';
  if (a.deliveries.some((d) => d.state === 'failed')) return 'failed';
  if (a.deliveries.every((d) => d.state === 'delivered')) return 'delivered';
  return 'pending';
}

export const alertRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.get<{ Querystring: Static<typeof AlertsQuery> }>(
      '/api/v1/alerts',
      { schema: { ...doc('alerts', 'admin', 'The alerts fired, newest first'), querystring: AlertsQuery } },
      async (req) => ({
        alerts: (await ctx.store.quotas.listAlerts(req.query.limit)).map((a) => ({
          id: a.id,
          key: a.key,
          kind: a.kind,
          nodeId: a.nodeId,
          poolId: a.poolId,
          quotaId: a.quotaId,
          firedAt: a.firedAt,
          state: deliveryState(a),
          document: JSON.parse(a.payload) as unknown,
          deliveries: a.deliveries,
        })),
        serverTime: ctx.now(),
      }),
    );
  };
