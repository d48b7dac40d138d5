/**
 * Xboard/V2board-compatible node API (shared/reference/xboard-contract.md): V1 UniProxy push/user/config/alive/
 * alivelist/status and V2 report. Bodies are read as JSON whatever their Content-Type, as the panel does.
 * Our agent's Idempotency-Key makes a repeated push a no-op; X-Traffic-Measured-At books it on the day measured.
 */
import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import {
  IDEMPOTENCY_HEADER,
  MEASURED_AT_HEADER,
  SERVER_REPORT_V2_PATH,
  UNIPROXY_PREFIX,
  parsePushBodyText,
} from '../../protocol/uniproxy.js';
import type { AppContext } from '../context.js';
import { mapError } from '../app.js';
import type { NodeInfo } from '../store/store.js';
import { CollectorError } from '../errors.js';
import { checkIdempotencyKey, measuredAtOf, parsePushEntries, recordDay } from '../user-push.js';
import { panelAuth } from './panel-auth.js';
import { PANEL, PanelError } from './panel-errors.js';

const PanelQuery = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 512 })),
    node_id: Type.Optional(Type.String({ maxLength: 32 })),
    node_type: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: Type.String({ maxLength: 1024 }) },
);

function parseBody(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  try {
    return parsePushBodyText(raw);
  } catch {
    return undefined;
  }
}

export const panelRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof PanelError) return reply.code(err.statusCode).send(err.body);
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send(PANEL.tooLarge.body);
      if (err.validation) return reply.code(422).send({ message: err.message, errors: {} });
      const mapped = mapError(err);
      if (mapped.statusCode >= 500) req.log.error({ err }, 'panel request failed');
      return reply.code(mapped.statusCode).send(mapped.toBody());
    });

    const schema = { querystring: PanelQuery };
    const pushLimit = { bodyLimit: ctx.config.pushBodyLimitBytes };

    async function applyTraffic(req: FastifyRequest, node: NodeInfo, traffic: unknown): Promise<void> {
      const parsed = parsePushEntries(traffic, node.rate, measuredAtOf(req.headers[MEASURED_AT_HEADER]));
      if (!parsed) throw PanelError.of(PANEL.badData);
      if (parsed === 'too-large') throw PanelError.of(PANEL.countTooLarge);
      const { rows, digest } = parsed;
      const keyHeader = req.headers[IDEMPOTENCY_HEADER];
      const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
      if (key !== undefined && checkIdempotencyKey(key, node.id)) throw PanelError.of(PANEL.badKey);
      const receivedAt = ctx.now();
      const res = await ctx.store
        .pushUserTraffic({
          nodeId: node.id,
          rate: node.rate,
          rows,
          idempotencyKey: key,
          digest,
          receivedAt,
          recordAt: recordDay(req.headers[MEASURED_AT_HEADER], receivedAt, ctx.config.timezone),
        })
        .catch((err: unknown) => {
          if (err instanceof CollectorError && err.code === 'TC_RECORD_CONFLICT') {
            ctx.metrics.conflicts.inc({ kind: 'push' });
            req.log.warn({ code: err.code, nodeId: node.id, key }, err.message);
          }
          throw err;
        });
      if (res.applied) ctx.metrics.userRows.inc(rows.length);
      else {
        if (res.unverified) ctx.metrics.unverifiedDuplicates.inc({ kind: 'push' });
        req.log.info({ nodeId: node.id, key, unverified: res.unverified }, 'push already applied; acknowledged again');
      }
    }

    app.post(`${UNIPROXY_PREFIX}/push`, { schema, ...pushLimit }, async (req) => {
      const body = parseBody(req.body);
      const node = await panelAuth(ctx, req, body);
      await applyTraffic(req, node, body);
      return PANEL.success();
    });

    app.post(SERVER_REPORT_V2_PATH, { schema, ...pushLimit }, async (req) => {
      const body = parseBody(req.body);
      const node = await panelAuth(ctx, req, body);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw PanelError.of(PANEL.badData);
      const report = body as Record<string, unknown>;
      if (report.status !== undefined && (typeof report.status !== 'object' || report.status === null))
        throw PanelError.of(PANEL.badData);
      if (report.traffic !== undefined) await applyTraffic(req, node, report.traffic);
      else await ctx.store.markSeen(node.id, ctx.now());
      return { data: true };
    });

    const etagged = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const text = JSON.stringify(payload);
      const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
      reply.header('ETag', etag);
      const inm = req.headers['if-none-match'];
      if (
        inm &&
        inm
          .split(',')
          .map((t) => t.trim().replace(/^W\//, ''))
          .includes(etag)
      )
        return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(text);
    };

    app.get(`${UNIPROXY_PREFIX}/user`, { schema }, async (req, reply) => {
      const node = await panelAuth(ctx, req, undefined);
      await ctx.store.markSeen(node.id, ctx.now());
      return etagged(req, reply, { users: [] });
    });

    app.get(`${UNIPROXY_PREFIX}/config`, { schema }, async (req, reply) => {
      await panelAuth(ctx, req, undefined);
      const interval = ctx.config.heartbeatIntervalSec;
      return etagged(req, reply, { base_config: { push_interval: interval, pull_interval: interval } });
    });

    app.post(`${UNIPROXY_PREFIX}/alive`, { schema }, async (req) => {
      const node = await panelAuth(ctx, req, parseBody(req.body));
      await ctx.store.markSeen(node.id, ctx.now());
      return { data: true };
    });

    app.get(`${UNIPROXY_PREFIX}/alivelist`, { schema }, async (req) => {
      await panelAuth(ctx, req, undefined);
      return { alive: {} };
    });

    app.post(`${UNIPROXY_PREFIX}/status`, { schema }, async (req) => {
      const node = await panelAuth(ctx, req, parseBody(req.body));
      await ctx.store.markSeen(node.id, ctx.now());
      return { data: true, code: 0, message: 'success' };
    });
  };
