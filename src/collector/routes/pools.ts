/** Admin API of pools: named sets of nodes that share one quota, with their own billing period. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { isValidTimeZone } from '../../common/calendar.js';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { doc, IdParams, Removed } from './schemas.js';

const EmptyQuery = Type.Object({}, { additionalProperties: false });
const PoolBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 255 }),
    resetDay: Type.Optional(Type.Integer({ minimum: 1, maximum: 31 })),
    timezone: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
const MemberParams = Type.Object(
  {
    id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
    nodeId: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
  },
  { additionalProperties: false },
);

const PoolView = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    resetDay: Type.Integer({ description: 'day of the month its billing period starts' }),
    timezone: Type.String(),
    createdAt: Type.Integer(),
    nodeIds: Type.Array(Type.Integer()),
  },
  { additionalProperties: false },
);
const Membership = (done: 'added' | 'removed') =>
  Type.Object(
    {
      poolId: Type.Integer(),
      nodeId: Type.Integer(),
      [done]: Type.Boolean({ description: `false: it was ${done === 'added' ? 'in' : 'not in'} the pool already` }),
    },
    { additionalProperties: false },
  );

export const poolRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));

    app.get(
      '/api/v1/pools',
      {
        schema: {
          ...doc('pools', 'admin', 'Every pool with its member nodes'),
          querystring: EmptyQuery,
          response: {
            200: Type.Object({ pools: Type.Array(PoolView) }, { additionalProperties: false }),
            '4xx': ErrorBody,
          },
        },
      },
      async () => ({
        pools: await ctx.store.quotas.listPools(),
      }),
    );

    app.post<{ Body: Static<typeof PoolBody> }>(
      '/api/v1/pools',
      {
        schema: {
          ...doc('pools', 'admin', 'Create a pool of nodes'),
          body: PoolBody,
          querystring: EmptyQuery,
          response: { 201: PoolView, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        const timezone = req.body.timezone ?? 'UTC';
        if (!isValidTimeZone(timezone))
          throw new CollectorError('TC_VALIDATION', `unknown IANA time zone "${timezone}"`);
        if (!req.body.name.trim()) throw new CollectorError('TC_VALIDATION', 'name is blank');
        const pool = await ctx.store.quotas.addPool({
          name: req.body.name,
          resetDay: req.body.resetDay ?? 1,
          timezone,
          createdAt: ctx.now(),
        });
        return reply.code(201).send(pool);
      },
    );

    app.delete<{ Params: Static<typeof IdParams> }>(
      '/api/v1/pools/:id',
      {
        schema: {
          ...doc('pools', 'admin', 'Remove a pool'),
          params: IdParams,
          querystring: EmptyQuery,
          response: { 200: Removed, '4xx': ErrorBody },
        },
      },
      async (req) => {
        if (!(await ctx.store.quotas.removePool(req.params.id)))
          throw new CollectorError('TC_POOL_NOT_FOUND', String(req.params.id));
        return { id: req.params.id, removed: true };
      },
    );

    app.put<{ Params: Static<typeof MemberParams> }>(
      '/api/v1/pools/:id/nodes/:nodeId',
      {
        schema: {
          ...doc('pools', 'admin', 'Add a node to a pool'),
          params: MemberParams,
          querystring: EmptyQuery,
          response: { 200: Membership('added'), '4xx': ErrorBody },
        },
      },
      async (req) => ({
        poolId: req.params.id,
        nodeId: req.params.nodeId,
        added: await ctx.store.quotas.addPoolNode(req.params.id, req.params.nodeId),
      }),
    );

    app.delete<{ Params: Static<typeof MemberParams> }>(
      '/api/v1/pools/:id/nodes/:nodeId',
      {
        schema: {
          ...doc('pools', 'admin', 'Take a node out of a pool'),
          params: MemberParams,
          querystring: EmptyQuery,
          response: { 200: Membership('removed'), '4xx': ErrorBody },
        },
      },
      async (req) => ({
        poolId: req.params.id,
        nodeId: req.params.nodeId,
        removed: await ctx.store.quotas.removePoolNode(req.params.id, req.params.nodeId),
      }),
    );
  };
