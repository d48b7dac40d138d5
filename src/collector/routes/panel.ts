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
} from '../../protocol/uniproxy.js';
import type { AppContext } from '../context.js';
import { mapError } from '../map-error.js';
import {
  BodyTooLargeError,
  type PanelBody,
  type PanelBodyShape,
  readPanelBody,
  TooManyUsersError,
} from '../panel-body.js';
import type { NodeInfo } from '../store/store.js';
import { CollectorError } from '../errors.js';
import type { PushEntries } from '../push-entries.js';
import { checkIdempotencyKey, measuredAtOf, recordDay } from '../user-push.js';
import { panelAuth, panelPreAuth } from './panel-auth.js';
import { PANEL, PanelError } from './panel-errors.js';
import { doc } from './schemas.js';

/** The panel contract's success bodies (shared/reference/xboard-contract.md), as OpenAPI documents them. */
const Answer = {
  success: Type.Object(
    { status: Type.Literal('success'), message: Type.String(), data: Type.Literal(true), error: Type.Null() },
    { additionalProperties: false },
  ),
  dataTrue: Type.Object({ data: Type.Literal(true) }, { additionalProperties: false }),
  users: Type.Object(
    { users: Type.Array(Type.Object({}, { additionalProperties: true }), { description: 'always empty' }) },
    { additionalProperties: false },
  ),
  config: Type.Object(
    {
      base_config: Type.Object(
        { push_interval: Type.Integer(), pull_interval: Type.Integer() },
        { additionalProperties: false, description: "seconds: the collector's heartbeatIntervalSec" },
      ),
    },
    { additionalProperties: false },
  ),
  aliveList: Type.Object(
    { alive: Type.Object({}, { additionalProperties: Type.Integer(), description: 'always empty' }) },
    { additionalProperties: false },
  ),
  status: Type.Object(
    { data: Type.Literal(true), code: Type.Literal(0), message: Type.Literal('success') },
    { additionalProperties: false },
  ),
};
type AnswerSchema = (typeof Answer)[keyof typeof Answer];

/** Bodies over this size (or without Content-Length) are read one at a time, up to BIG_BODIES_WAITING waiting. */
const BIG_BODY_BYTES = 1_048_576;
const BIG_BODIES_AT_ONCE = 1;
const BIG_BODIES_WAITING = 8;

/** A counting semaphore whose waiting line is bounded: past it, acquire() answers undefined at once. */
class BigBodyGate {
  private busy = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    private readonly max: number,
    private readonly maxWaiting: number,
  ) {}
  async acquire(): Promise<(() => void) | undefined> {
    if (this.busy >= this.max) {
      if (this.waiting.length >= this.maxWaiting) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else this.busy++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.busy--;
    };
  }
}

const bigBodyRelease = new WeakMap<FastifyRequest, () => void>();
const releaseBigBody = async (req: FastifyRequest) => bigBodyRelease.get(req)?.();

const PanelQuery = Type.Object(
  {
    token: Type.Optional(Type.String({ maxLength: 512 })),
    node_id: Type.Optional(Type.String({ maxLength: 32 })),
    node_type: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: Type.String({ maxLength: 1024 }) },
);

export const panelRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    // Credentials first (onRequest), then the body, streamed: see panel-auth.ts and panel-body.ts.
    app.addHook('onRequest', panelPreAuth(ctx));
    app.removeAllContentTypeParsers();
    const bigBodies = new BigBodyGate(BIG_BODIES_AT_ONCE, BIG_BODIES_WAITING);
    app.addHook('onResponse', releaseBigBody);
    app.addHook('onRequestAbort', releaseBigBody);
    app.addContentTypeParser('*', async (req: FastifyRequest, payload: AsyncIterable<Buffer>) => {
      const limitBytes = req.routeOptions.bodyLimit ?? ctx.config.bodyLimitBytes;
      const declared = Number(req.headers['content-length']);
      if (declared > limitBytes) throw new BodyTooLargeError(limitBytes);
      if (!(declared <= BIG_BODY_BYTES)) {
        // Only authenticated callers get here; still, one big body at a time keeps memory to one push's worth.
        const release = await bigBodies.acquire();
        if (!release) throw new CollectorError('TC_OVERLOADED', 'too many large pushes at once');
        // Held until the answer is sent (or the client went away): the parsed push lives until then.
        bigBodyRelease.set(req, release);
      }
      const shape = (req.routeOptions.config as { panelBody?: PanelBodyShape }).panelBody ?? 'credentials';
      return readPanelBody(payload, { shape, limitBytes, maxUsers: ctx.config.maxUsersPerPush });
    });

    app.setErrorHandler((err: FastifyError, req, reply) => {
      if (err instanceof PanelError) return reply.code(err.statusCode).send(err.body);
      if (err instanceof TooManyUsersError) {
        const e = PANEL.tooManyUsers(err.maxUsers);
        return reply.code(e.status).send(e.body);
      }
      if (err instanceof BodyTooLargeError || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return reply.code(413).send(PANEL.tooLarge.body);
      if (err.validation) return reply.code(422).send({ message: err.message, errors: {} });
      const mapped = mapError(err);
      if (mapped.code === 'TC_OVERLOADED' && !reply.hasHeader('retry-after')) reply.header('retry-after', '5');
      if (mapped.statusCode >= 500 && mapped.code !== 'TC_OVERLOADED') req.log.error({ err }, 'panel request failed');
      return reply.code(mapped.statusCode).send(mapped.toBody());
    });

    const schema = { querystring: PanelQuery };
    const panelDoc = (summary: string, answer: AnswerSchema, description?: string) => ({
      schema: { ...schema, ...doc('panel', 'panel', summary, description), response: { 200: answer } },
    });
    const PUSH_BODY =
      'The body is the panel\'s push, `{"<user id>": [upload, download], ...}` (JSON or form), read as a stream: it ' +
      'is checked entry by entry, not by a JSON schema. An `Idempotency-Key` header makes a resend count once.';
    const push = (panelBody: PanelBodyShape, summary: string, answer: AnswerSchema) => ({
      ...panelDoc(summary, answer, PUSH_BODY),
      bodyLimit: ctx.config.pushBodyLimitBytes,
      config: { panelBody },
    });
    const small = (summary: string, answer: AnswerSchema) => ({
      ...panelDoc(summary, answer),
      config: { panelBody: 'credentials' as PanelBodyShape },
    });
    const bodyOf = (req: FastifyRequest) => req.body as PanelBody | undefined;

    async function applyTraffic(req: FastifyRequest, node: NodeInfo, entries: PushEntries | undefined): Promise<void> {
      if (!entries) throw PanelError.of(PANEL.badData);
      const parsed = await entries.finish(node.rate, measuredAtOf(req.headers[MEASURED_AT_HEADER]));
      if (parsed === 'too-large') throw PanelError.of(PANEL.countTooLarge);
      const { rows, raw, digest } = parsed;
      const keyHeader = req.headers[IDEMPOTENCY_HEADER];
      const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
      if (key !== undefined && checkIdempotencyKey(key, node.id)) throw PanelError.of(PANEL.badKey);
      const receivedAt = ctx.now();
      const res = await ctx.store
        .pushUserTraffic({
          nodeId: node.id,
          rate: node.rate,
          rows,
          raw,
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

    app.post(
      `${UNIPROXY_PREFIX}/push`,
      push('push', 'Per-user traffic of the node (V2Board/Xboard UniProxy push)', Answer.success),
      async (req, reply) => {
        const body = bodyOf(req);
        const node = await panelAuth(ctx, req, reply, body?.fields);
        await applyTraffic(req, node, body?.entries);
        return PANEL.success();
      },
    );

    app.post(
      SERVER_REPORT_V2_PATH,
      push('report', 'Xboard v2 report: per-user traffic and node status together', Answer.dataTrue),
      async (req, reply) => {
        const body = bodyOf(req);
        const node = await panelAuth(ctx, req, reply, body?.fields);
        if (!body?.object || body.statusNotObject || body.trafficNotObject) throw PanelError.of(PANEL.badData);
        if (body.entries !== undefined) await applyTraffic(req, node, body.entries);
        else await ctx.store.markSeen(node.id, ctx.now());
        return { data: true };
      },
    );

    const etagged = async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const text = JSON.stringify(payload);
      const etag = `"${createHash('sha1').update(text).digest('hex')}"`;
      reply.header('ETag', etag);
      const inm = req.headers['if-none-match'];
      if (
        inm
          ?.split(',')
          .map((t) => t.trim().replace(/^W\//, ''))
          .includes(etag)
      )
        return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(text);
    };

    app.get(
      `${UNIPROXY_PREFIX}/user`,
      panelDoc('The users of the node (always empty: the collector manages no users)', Answer.users),
      async (req, reply) => {
        const node = await panelAuth(ctx, req, reply, undefined);
        await ctx.store.markSeen(node.id, ctx.now());
        return etagged(req, reply, { users: [] });
      },
    );

    app.get(
      `${UNIPROXY_PREFIX}/config`,
      panelDoc('Push and pull intervals for the node', Answer.config),
      async (req, reply) => {
        await panelAuth(ctx, req, reply, undefined);
        const interval = ctx.config.heartbeatIntervalSec;
        return etagged(req, reply, { base_config: { push_interval: interval, pull_interval: interval } });
      },
    );

    /** A report the collector keeps nothing of but the node's being alive: authenticated, the node marked seen. */
    const markSeen = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const node = await panelAuth(ctx, req, reply, bodyOf(req)?.fields);
      await ctx.store.markSeen(node.id, ctx.now());
    };

    app.post(
      `${UNIPROXY_PREFIX}/alive`,
      small('Online users of the node (marks the node seen)', Answer.dataTrue),
      async (req, reply) => {
        await markSeen(req, reply);
        return { data: true };
      },
    );

    app.get(
      `${UNIPROXY_PREFIX}/alivelist`,
      panelDoc('Device counts per user (always empty)', Answer.aliveList),
      async (req, reply) => {
        await panelAuth(ctx, req, reply, undefined);
        return { alive: {} };
      },
    );

    app.post(
      `${UNIPROXY_PREFIX}/status`,
      small('Node status (marks the node seen)', Answer.status),
      async (req, reply) => {
        await markSeen(req, reply);
        return { data: true, code: 0, message: 'success' };
      },
    );
  };
