/** Rankings (admin token): top nodes by traffic in the period, in total or over the last 24 hourly buckets; top users. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { effectivePeriod, HOUR_MS, hourOf } from '../store/ingest-plan.js';
import { isOnline } from '../views.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { BytesText, doc, Limit, RangeQuery } from './schemas.js';
import { UserBytes, userRange } from './users.js';

const NodeRankQuery = Type.Object(
  {
    window: Type.Union([Type.Literal('period'), Type.Literal('total'), Type.Literal('24h')], { default: 'period' }),
    limit: Limit,
  },
  { additionalProperties: false },
);
const UserRankQuery = Type.Object({ ...RangeQuery, limit: Limit }, { additionalProperties: false });

const NodeRanking = Type.Object(
  {
    window: Type.Union([Type.Literal('period'), Type.Literal('total'), Type.Literal('24h')]),
    serverTime: Type.Integer(),
    nodes: Type.Array(
      Type.Object(
        {
          id: Type.Integer(),
          name: Type.String(),
          online: Type.Boolean(),
          rx: BytesText(),
          tx: BytesText(),
          total: BytesText(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const UserRanking = Type.Object(
  {
    from: Type.Integer({ description: 'unix ms' }),
    to: Type.Integer({ description: 'unix ms' }),
    users: Type.Array(Type.Object({ userId: Type.Integer(), ...UserBytes }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const rankingRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));

    app.get<{ Querystring: Static<typeof NodeRankQuery> }>(
      '/api/v1/rankings/nodes',
      {
        schema: {
          ...doc('rankings', 'admin', 'Nodes ranked by traffic over a range'),
          querystring: NodeRankQuery,
          response: { 200: NodeRanking, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const { window, limit } = req.query;
        const now = ctx.now();
        const stats = await ctx.store.listNodeStats();
        const last24 = window === '24h' ? await ctx.store.trafficSince(hourOf(now) - 23 * HOUR_MS) : undefined;
        const rows = stats.map((s) => {
          let rx: bigint, tx: bigint;
          if (window === 'total') {
            rx = s.totalRx;
            tx = s.totalTx;
          } else if (window === 'period') {
            const p = effectivePeriod(s, now);
            rx = p.rx;
            tx = p.tx;
          } else {
            const t = last24?.get(s.id);
            rx = t?.rx ?? 0n;
            tx = t?.tx ?? 0n;
          }
          return { id: s.id, name: s.name, online: isOnline(s, now, ctx.config), rx, tx, total: rx + tx };
        });
        rows.sort((a, b) => (b.total > a.total ? 1 : b.total < a.total ? -1 : a.id - b.id));
        return {
          window,
          serverTime: now,
          nodes: rows
            .slice(0, limit)
            .map((r) => ({ ...r, rx: r.rx.toString(), tx: r.tx.toString(), total: r.total.toString() })),
        };
      },
    );

    app.get<{ Querystring: Static<typeof UserRankQuery> }>(
      '/api/v1/rankings/users',
      {
        schema: {
          ...doc('rankings', 'admin', 'Users ranked by traffic over a range'),
          querystring: UserRankQuery,
          response: { 200: UserRanking, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const r = userRange(ctx, req.query);
        const users = await ctx.store.rankUsers(r.fromSec, r.toSec, req.query.limit);
        return {
          from: r.from,
          to: r.to,
          users: users.map((u) => ({
            userId: u.userId,
            u: u.u.toString(),
            d: u.d.toString(),
            total: (u.u + u.d).toString(),
          })),
        };
      },
    );
  };
