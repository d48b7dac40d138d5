/**
 * GET /api/v1/anomalies?from=&to=&kind= (admin token): unusual traffic in the range, each with its expected range and
 * the observed value. kind: node-hourly, node-silent, user-daily (comma-separated; default all). Default range: the
 * last 24 hours; node=ID: only that node (what the node dialog's charts mark). The rule and its parameters: docs/reports-anomalies.md and anomalies/detect.ts.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { ANOMALY_SCOPES, findAnomalies, nodeTiming, type AnomalyScope } from '../anomalies/find-anomalies.js';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { parseRange } from '../time-range.js';
import { adminAuth } from './admin-auth.js';
import { ErrorBody } from '../../protocol/heartbeat.js';
import { BytesText, doc, RangeQuery } from './schemas.js';

const AnomalyQuery = Type.Object(
  {
    ...RangeQuery,
    kind: Type.Optional(Type.String({ description: `Comma-separated: ${ANOMALY_SCOPES.join(', ')}` })),
    node: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 53 - 1, description: 'only this node' })),
  },
  { additionalProperties: false },
);
const MAX_SPAN_MS = 92 * 86_400_000;
const Found = Type.Object(
  {
    scope: Type.Union(ANOMALY_SCOPES.map((s) => Type.Literal(s))),
    nodeId: Type.Integer(),
    userId: Type.Optional(Type.Integer({ description: 'user-daily only' })),
    kind: Type.Union([Type.Literal('spike'), Type.Literal('drop'), Type.Literal('silent')]),
    at: Type.Integer({ description: 'unix ms: start of the flagged slot' }),
    until: Type.Integer({ description: 'unix ms: end of the slot (or of the silence so far)' }),
    observed: BytesText(),
    expected: BytesText(),
    low: BytesText('bytes: the lower end of the usual range'),
    high: BytesText('bytes: the upper end of the usual range'),
    history: Type.Integer({ description: 'comparable slots the judgement rests on' }),
  },
  { additionalProperties: false },
);
const AnomalyList = Type.Object(
  { from: Type.Integer(), to: Type.Integer(), anomalies: Type.Array(Found) },
  { additionalProperties: false },
);

export const anomalyRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.get<{ Querystring: Static<typeof AnomalyQuery> }>(
      '/api/v1/anomalies',
      {
        schema: {
          ...doc('anomalies', 'admin', 'Unusual traffic found per node over a range'),
          querystring: AnomalyQuery,
          response: { 200: AnomalyList, '4xx': ErrorBody },
        },
      },
      async (req) => {
        const now = ctx.now();
        const { from, to } = parseRange(req.query, now, 86_400_000);
        if (to - from > MAX_SPAN_MS) throw new CollectorError('TC_BAD_RANGE', 'at most 92 days of anomalies at once');
        const scopes = (req.query.kind ?? ANOMALY_SCOPES.join(',')).split(',').map((k) => k.trim());
        const unknown = scopes.filter((k) => !ANOMALY_SCOPES.includes(k as AnomalyScope));
        if (unknown.length)
          throw new CollectorError(
            'TC_VALIDATION',
            `kind: unknown ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${ANOMALY_SCOPES.join(', ')}`,
          );
        const found = await findAnomalies(ctx.store, {
          from,
          to,
          scopes: scopes as AnomalyScope[],
          nodeId: req.query.node,
          timeZone: ctx.config.timezone,
          now,
          ...nodeTiming(ctx.config),
        });
        return {
          from,
          to,
          anomalies: found.map((a) => ({
            ...a,
            observed: String(a.observed),
            expected: String(a.expected),
            low: String(a.low),
            high: String(a.high),
          })),
        };
      },
    );
  };
