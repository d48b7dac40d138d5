/** Read API for nodes (admin token): list, one node, chart series, and the operator's period reset. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { startOfLocalDay } from '../../common/calendar.js';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { HOUR_MS } from '../store/ingest-plan.js';
import { parseRange } from '../time-range.js';
import { nodeView, offlineAfterMs } from '../views.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { NodeList, NodeSeries, NodeView } from './node-schemas.js';
import { canonicalIds, doc, IdParams, RangeQuery } from './schemas.js';

const SeriesQuery = Type.Object(
  {
    ...RangeQuery,
    step: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
    bucket: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
  },
  { additionalProperties: false },
);
const MAX_POINTS = 10_000;

export const nodeRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.addHook('preValidation', canonicalIds);
    const EmptyQuery = Type.Object({}, { additionalProperties: false });

    app.get(
      '/api/v1/nodes',
      {
        schema: {
          ...doc('nodes', 'admin', 'Every node with its totals, period and status'),
          querystring: EmptyQuery,
          response: { 200: NodeList, '4xx': ErrorBody },
        },
      },
      async () => {
        const now = ctx.now();
        // The heartbeat cadence lets a client (the dashboard) refresh as often as the data can change.
        return {
          nodes: (await ctx.store.listNodeStats()).map((s) => nodeView(s, now, ctx.config)),
          serverTime: now,
          heartbeatIntervalSec: ctx.config.heartbeatIntervalSec,
          // A page kept current by GET /api/v1/live marks nodes offline itself, on the collector's rule (views.ts).
          offlineAfterMs: offlineAfterMs(ctx.config),
          // The zone of the per-user days: the dashboard's day ranges and report exports follow it.
          timezone: ctx.config.timezone,
        };
      },
    );

    app.get<{ Params: Static<typeof IdParams> }>(
      '/api/v1/nodes/:id',
      {
        schema: {
          ...doc('nodes', 'admin', 'One node with its totals, period and status'),
          params: IdParams,
          querystring: EmptyQuery,
          response: { 200: NodeView, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const s = await ctx.store.getNodeStats(req.params.id);
        if (!s) throw new CollectorError('TC_NODE_NOT_FOUND', String(req.params.id));
        return nodeView(s, ctx.now(), ctx.config);
      },
    );

    app.post<{ Params: Static<typeof IdParams> }>(
      '/api/v1/nodes/:id/period/reset',
      {
        schema: {
          ...doc('nodes', 'admin', "Start the node's billing period now (its period counters back to 0)"),
          params: IdParams,
          querystring: EmptyQuery,
          response: { 200: NodeView, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const now = ctx.now();
        const s = await ctx.store.resetPeriod(req.params.id, now);
        if (!s) throw new CollectorError('TC_NODE_NOT_FOUND', String(req.params.id));
        req.log.info({ nodeId: s.id }, 'period reset by operator');
        ctx.changes.publish(s.id);
        return nodeView(s, now, ctx.config);
      },
    );

    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof SeriesQuery> }>(
      '/api/v1/nodes/:id/series',
      {
        schema: {
          ...doc('nodes', 'admin', "The node's traffic per hour or per day over a range (chart series)"),
          params: IdParams,
          querystring: SeriesQuery,
          response: { 200: NodeSeries, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const step = req.query.step ?? req.query.bucket ?? 'hour';
        const { from, to } = parseRange(req.query, ctx.now(), 24 * HOUR_MS);
        const tz = ctx.config.timezone;
        const bucketOf =
          step === 'hour'
            ? (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS
            : (ms: number) => startOfLocalDay(ms, tz);
        const first = bucketOf(from);
        const approxPoints = (to - first) / (step === 'hour' ? HOUR_MS : 23 * HOUR_MS);
        if (approxPoints > MAX_POINTS)
          throw new CollectorError('TC_BAD_RANGE', `more than ${MAX_POINTS} ${step} points`);
        if (!(await ctx.store.getNodeStats(req.params.id)))
          throw new CollectorError('TC_NODE_NOT_FOUND', String(req.params.id));
        const hourly = await ctx.store.hourlySeries(req.params.id, Math.floor(first / HOUR_MS) * HOUR_MS, to);
        const buckets = new Map<number, { rx: bigint; tx: bigint }>();
        // Every bucket from the one holding `from` to the one holding `to`, zero-filled for charts.
        for (let b = first; b < to; b = step === 'hour' ? b + HOUR_MS : startOfLocalDay(b + 26 * HOUR_MS, tz)) {
          buckets.set(b, { rx: 0n, tx: 0n });
        }
        for (const p of hourly) {
          const b = buckets.get(bucketOf(p.at));
          if (b) {
            b.rx += p.rx;
            b.tx += p.tx;
          }
        }
        return {
          nodeId: req.params.id,
          step,
          from,
          to,
          timezone: step === 'day' ? tz : 'UTC',
          points: [...buckets].map(([at, t]) => ({
            at,
            rx: t.rx.toString(),
            tx: t.tx.toString(),
            total: (t.rx + t.tx).toString(),
          })),
        };
      },
    );
  };
