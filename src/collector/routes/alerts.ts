/** GET /api/v1/alerts: the newest alerts of the ledger with each channel's delivery state. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { doc, NullableInt } from './schemas.js';
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

const AlertView = Type.Object(
  {
    id: Type.Integer(),
    key: Type.String({ description: 'what makes it fire once (docs/quotas-alerts.md)' }),
    kind: Type.Union(['quota', 'offline', 'online', 'event', 'anomaly'].map((k) => Type.Literal(k))),
    nodeId: NullableInt(),
    poolId: NullableInt(),
    quotaId: NullableInt(),
    firedAt: Type.Integer(),
    state: Type.Union(['delivered', 'failed', 'pending', 'none'].map((k) => Type.Literal(k))),
    document: Type.Object({}, { additionalProperties: true, description: 'the JSON document the webhooks carry' }),
    deliveries: Type.Array(
      Type.Object(
        {
          channel: Type.String(),
          state: Type.Union(['pending', 'delivered', 'failed'].map((k) => Type.Literal(k))),
          attempts: Type.Integer(),
          lastError: Type.Union([Type.String(), Type.Null()]),
          deliveredAt: NullableInt(),
          nextAttemptAt: NullableInt(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const alertRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.get<{ Querystring: Static<typeof AlertsQuery> }>(
      '/api/v1/alerts',
      {
        schema: {
          ...doc('alerts', 'admin', 'The alerts fired, newest first'),
          querystring: AlertsQuery,
          response: {
            200: Type.Object(
              { alerts: Type.Array(AlertView), serverTime: Type.Integer() },
              { additionalProperties: false },
            ),
            '4xx': ErrorBody,
          },
        },
      },
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
