/**
 * GET /api/v1/nodes/:id/load?window= (admin token): a node's load average history (docs/load-history.md).
 * Windows up to the raw retention (loadRawRetentionHours, 48 h by default) answer the raw samples, about one a
 * minute; longer ones answer hourly points: the hour's average with its least and greatest sample.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ErrorBody } from '../../protocol/heartbeat.js';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { HOUR_MS, hourOf } from '../store/ingest-plan.js';
import { adminAuth } from './admin-auth.js';
import { canonicalIds, doc, IdParams } from './schemas.js';

export const LOAD_WINDOWS = { '1h': 1, '6h': 6, '24h': 24, '48h': 48, '7d': 168, '30d': 720, '90d': 2160 } as const;
export type LoadWindow = keyof typeof LOAD_WINDOWS;

export const LoadQuery = Type.Object(
  {
    window: Type.Union(
      Object.keys(LOAD_WINDOWS).map((w) => Type.Literal(w)),
      { default: '24h', description: 'how far back from now' },
    ),
  },
  { additionalProperties: false },
);

const Triple = Type.Tuple([Type.Number(), Type.Number(), Type.Number()], { description: 'load 1, 5 and 15 minutes' });

export const LoadPoint = Type.Object(
  {
    at: Type.Integer({ description: 'unix ms: when the sample was taken (raw), or the start of the hour' }),
    load: Triple,
    samples: Type.Optional(Type.Integer({ minimum: 1, description: 'hourly points: samples averaged into `load`' })),
    min: Type.Optional(Triple),
    max: Type.Optional(Triple),
  },
  { additionalProperties: false },
);

export const LoadHistory = Type.Object(
  {
    nodeId: Type.Integer(),
    window: Type.String(),
    resolution: Type.Union([Type.Literal('raw'), Type.Literal('hour')]),
    from: Type.Integer({ description: 'unix ms, included' }),
    to: Type.Integer({ description: 'unix ms, excluded' }),
    points: Type.Array(LoadPoint),
  },
  { additionalProperties: false },
);
export type LoadHistory = Static<typeof LoadHistory>;

export const loadRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.addHook('preValidation', canonicalIds);
    app.get<{ Params: Static<typeof IdParams>; Querystring: Static<typeof LoadQuery> }>(
      '/api/v1/nodes/:id/load',
      {
        schema: {
          ...doc('nodes', 'admin', "The node's load average history (1/5/15) over a window"),
          params: IdParams,
          querystring: LoadQuery,
          response: { 200: LoadHistory, '4xx': ErrorBody },
        },
      },
      async (req): Promise<LoadHistory> => {
        const nodeId = req.params.id;
        const window = req.query.window as LoadWindow;
        const hours = LOAD_WINDOWS[window];
        if (!(await ctx.store.getNodeStats(nodeId))) throw new CollectorError('TC_NODE_NOT_FOUND', String(nodeId));
        const to = ctx.now() + 1;
        if (hours <= ctx.config.loadRawRetentionHours) {
          const from = to - hours * HOUR_MS;
          const points = (await ctx.store.loadSamples(nodeId, from, to)).map((p) => ({ at: p.at, load: p.load }));
          return { nodeId, window, resolution: 'raw', from, to, points };
        }
        const from = hourOf(to - hours * HOUR_MS);
        const points = (await ctx.store.loadHourly(nodeId, from, to)).map((h) => ({
          at: h.at,
          load: h.avg,
          samples: h.samples,
          min: h.min,
          max: h.max,
        }));
        return { nodeId, window, resolution: 'hour', from, to, points };
      },
    );
  };
