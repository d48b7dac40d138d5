/**
 * GET /api/v1/reports (admin token): a billing report by node, user or user-node for a month or whole days, as JSON,
 * CSV (format=csv or Accept: text/csv; a download with a header row) or a plain table. Streams: a report of any size
 * leaves in chunks as the store pages through it.
 */
import { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { doc } from './schemas.js';
import { makeReport } from '../reports/make-report.js';
import { REPORT_FORMATS } from '../reports/report-format.js';
import { REPORT_BY } from '../reports/report-rows.js';
import { adminAuth } from './admin-auth.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

const ReportQuerySchema = Type.Object(
  {
    period: Type.Optional(Type.String({ description: 'A month, YYYY-MM' })),
    from: Type.Optional(Type.String({ description: 'First day, YYYY-MM-DD (with to)' })),
    to: Type.Optional(Type.String({ description: 'Last day, YYYY-MM-DD, included' })),
    by: literals(REPORT_BY),
    rate: Type.Optional(Type.Union([Type.Literal('applied'), Type.Literal('raw')], { default: 'applied' })),
    user: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 999_999_999_999_999, description: "Only this user's rows" }),
    ),
    format: Type.Optional(literals(REPORT_FORMATS)),
    timezone: Type.Optional(Type.String({ description: "IANA zone of the days (default: the collector's timezone)" })),
  },
  { additionalProperties: false },
);

export const reportRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.addHook('onRequest', adminAuth(ctx));
    app.get<{ Querystring: Static<typeof ReportQuerySchema> }>(
      '/api/v1/reports',
      {
        schema: {
          ...doc('reports', 'admin', 'A billing report (per node, per user, per user and node) as JSON or CSV'),
          querystring: ReportQuerySchema,
        },
      },
      async (req, reply) => {
        const q = req.query;
        const wantsCsv = /\btext\/csv\b/.test(req.headers.accept ?? '');
        const report = await makeReport(ctx.store, {
          ...q,
          rate: q.rate ?? 'applied',
          format: q.format ?? (wantsCsv ? 'csv' : 'json'),
          timezone: q.timezone ?? ctx.config.timezone,
        });
        reply.header('content-type', report.contentType);
        if (report.contentType.startsWith('text/csv'))
          reply.header('content-disposition', `attachment; filename="${report.filename}"`);
        return reply.send(Readable.from(report.chunks));
      },
    );
  };
