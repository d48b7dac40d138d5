/** Admin API of quotas: list with usage and projection, add, remove. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { MEASURES, parseBytes } from '../quota/quota-math.js';
import { checkQuota } from '../quota/quota-input.js';
import { quotaReports, quotaView } from '../quota/quota-status.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { BytesText, doc, IdParams, NullableInt, Removed } from './schemas.js';

const EmptyQuery = Type.Object({}, { additionalProperties: false });
export const QuotaBody = Type.Object(
  {
    nodeId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    poolId: Type.Optional(Type.Integer({ minimum: 1, maximum: 2_147_483_647 })),
    limit: Type.String({ maxLength: 40, description: 'bytes: "1000000000000", "1TB", "1.5TiB"' }),
    measure: Type.Optional(Type.Union(MEASURES.map((m) => Type.Literal(m)))),
    thresholds: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 1000 }), { minItems: 1, maxItems: 20 })),
    cycleDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3660 })),
    cycleStart: Type.Optional(Type.Integer({ minimum: 0, maximum: 8_640_000_000_000_000, description: 'unix ms' })),
    channels: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })),
  },
  { additionalProperties: false },
);

const Projection = Type.Object(
  {
    bytesPerSec: BytesText('bytes per second at this rate, a decimal string'),
    reachAt: NullableInt('unix ms when the limit is reached at this rate; null: not in this period'),
  },
  { additionalProperties: false },
);
/** A quota as the API shows it (quota-status.ts quotaView). */
export const QuotaView = Type.Object(
  {
    id: Type.Integer(),
    nodeId: NullableInt('the node it is on, or null for a pool quota'),
    poolId: NullableInt('the pool it is on, or null for a node quota'),
    owner: Type.String({ description: "the node's or the pool's name" }),
    nodeIds: Type.Array(Type.Integer()),
    limit: BytesText(),
    measure: Type.Union(MEASURES.map((m) => Type.Literal(m))),
    thresholds: Type.Array(Type.Integer(), { description: 'percent, ascending' }),
    cycleDays: NullableInt('a custom cycle of this many days; null: the billing period'),
    cycleStart: NullableInt('unix ms the custom cycle counts from'),
    channels: Type.Array(Type.String()),
    createdAt: Type.Integer(),
    usage: Type.Object(
      {
        used: BytesText(),
        percent: Type.String({ description: 'of the limit, two decimals ("81.20")' }),
        reached: Type.Array(Type.Integer(), { description: 'thresholds reached in this period' }),
        periodStart: Type.Integer(),
        periodEnd: Type.Integer(),
        projection24h: Projection,
        projectionPeriod: Projection,
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const QuotaList = Type.Object(
  { quotas: Type.Array(QuotaView), serverTime: Type.Integer() },
  { additionalProperties: false },
);

export function limitBytes(text: string): bigint {
  try {
    return parseBytes(text);
  } catch (err) {
    throw new CollectorError('TC_BAD_QUOTA', (err as Error).message);
  }
}

export const quotaRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));

    app.get(
      '/api/v1/quotas',
      {
        schema: {
          ...doc('quotas', 'admin', 'Every quota with its use in the current period'),
          querystring: EmptyQuery,
          response: { 200: QuotaList, '4xx': ErrorBody },
        },
      },
      async () => {
        const now = ctx.now();
        return { quotas: (await quotaReports(ctx.store, now)).map(quotaView), serverTime: now };
      },
    );

    app.post<{ Body: Static<typeof QuotaBody> }>(
      '/api/v1/quotas',
      {
        schema: {
          ...doc('quotas', 'admin', 'Create a quota on a node or a pool'),
          body: QuotaBody,
          querystring: EmptyQuery,
          response: { 201: QuotaView, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        const now = ctx.now();
        const q = checkQuota(
          { ...req.body, limit: limitBytes(req.body.limit) },
          ctx.config.alertChannels.map((c) => c.name),
          now,
        );
        const added = await ctx.store.quotas.addQuota(q);
        req.log.info({ quotaId: added.id }, 'quota added');
        const report = (await quotaReports(ctx.store, now)).find((r) => r.quota.id === added.id);
        // Its report exists: the quota was just added on an owner checked to exist.
        if (!report) throw new Error(`quota ${added.id} was added but has no report`);
        return reply.code(201).send(quotaView(report));
      },
    );

    app.delete<{ Params: Static<typeof IdParams> }>(
      '/api/v1/quotas/:id',
      {
        schema: {
          ...doc('quotas', 'admin', 'Remove a quota'),
          params: IdParams,
          querystring: EmptyQuery,
          response: { 200: Removed, '4xx': ErrorBody },
        },
      },
      async (req) => {
        if (!(await ctx.store.quotas.removeQuota(req.params.id)))
          throw new CollectorError('TC_QUOTA_NOT_FOUND', String(req.params.id));
        return { id: req.params.id, removed: true };
      },
    );
  };
