/**
 * Per-user read API (admin token). A query covers the whole local days (config timezone) that overlap [from, to):
 * per-user rows are daily (record_at = local day start, unix seconds). Default range: the last 30 days.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { startOfLocalDay } from '../../common/calendar.js';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { parseRange } from '../time-range.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { BytesText, canonicalIds, doc, IdParams, Limit, NullableInt, RangeQuery } from './schemas.js';

const DAY_MS = 86_400_000;
const UserIdParams = Type.Object(
  { id: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) },
  { additionalProperties: false },
);
const RangeOnly = Type.Object({ ...RangeQuery }, { additionalProperties: false });
const RangeLimit = Type.Object({ ...RangeQuery, limit: Limit }, { additionalProperties: false });

export function userRange(ctx: AppContext, q: { from?: string; to?: string }) {
  const { from, to } = parseRange(q, ctx.now(), 30 * DAY_MS);
  return {
    from,
    to,
    fromSec: Math.floor(startOfLocalDay(from, ctx.config.timezone) / 1000),
    toSec: Math.ceil(to / 1000),
  };
}

const view = (u: bigint, d: bigint) => ({ u: u.toString(), d: d.toString(), total: (u + d).toString() });
/** Upload (u), download (d) and their sum, in bytes as decimal strings. */
export const UserBytes = {
  u: BytesText('uploaded bytes'),
  d: BytesText('downloaded bytes'),
  total: BytesText(),
};
const Range = { from: Type.Integer({ description: 'unix ms' }), to: Type.Integer({ description: 'unix ms' }) };
const UserTraffic = Type.Object(
  {
    userId: Type.Integer(),
    ...Range,
    nodes: Type.Array(
      Type.Object(
        { nodeId: NullableInt('null: rows stored without a node (unattributed)'), ...UserBytes },
        { additionalProperties: false },
      ),
    ),
    total: Type.Object(UserBytes, { additionalProperties: false }),
  },
  { additionalProperties: false },
);
const NodeUsers = Type.Object(
  {
    nodeId: Type.Integer(),
    ...Range,
    users: Type.Array(Type.Object({ userId: Type.Integer(), ...UserBytes }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const userRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.addHook('preValidation', canonicalIds);

    app.get<{ Params: Static<typeof UserIdParams>; Querystring: Static<typeof RangeOnly> }>(
      '/api/v1/users/:id/traffic',
      {
        schema: {
          ...doc('users', 'admin', "One user's traffic per node over a range"),
          params: UserIdParams,
          querystring: RangeOnly,
          response: { 200: UserTraffic, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const r = userRange(ctx, req.query);
        const rows = await ctx.store.userTraffic(req.params.id, r.fromSec, r.toSec);
        let u = 0n,
          d = 0n;
        for (const x of rows) {
          u += x.u;
          d += x.d;
        }
        return {
          userId: req.params.id,
          from: r.from,
          to: r.to,
          nodes: rows.map((x) => ({ nodeId: x.serverId, ...view(x.u, x.d) })),
          total: view(u, d),
        };
      },
    );

    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof RangeLimit> }>(
      '/api/v1/nodes/:id/users',
      {
        schema: {
          ...doc('users', 'admin', "A node's users ranked by traffic over a range"),
          params: IdParams,
          querystring: RangeLimit,
          response: { 200: NodeUsers, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const r = userRange(ctx, req.query);
        if (!(await ctx.store.getNodeAuth(req.params.id)))
          throw new CollectorError('TC_NODE_NOT_FOUND', String(req.params.id));
        const rows = await ctx.store.nodeUsers(req.params.id, r.fromSec, r.toSec, req.query.limit);
        return {
          nodeId: req.params.id,
          from: r.from,
          to: r.to,
          users: rows.map((x) => ({ userId: x.userId, ...view(x.u, x.d) })),
        };
      },
    );
  };
