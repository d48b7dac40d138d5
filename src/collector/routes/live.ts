/**
 * GET /api/v1/live: the dashboard's live updates as Server-Sent Events (live/live-streams.ts says what is sent).
 * Authenticated like every read route: `Authorization: Bearer <admin token>`, checked before anything else. The page
 * reads the stream with fetch(), which can send that header (EventSource cannot), so the token never goes into a URL,
 * a cookie or a log line, and several collectors behind one balancer need no shared ticket store (docs/dashboard.md).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import type { AppContext } from '../context.js';
import { CollectorError } from '../errors.js';
import { LiveStreams } from '../live/live-streams.js';
import { adminAuth } from './admin-auth.js';
import { doc } from './schemas.js';

export const LIVE_PATH = '/api/v1/live';

const EventStream = Type.String({
  description:
    'text/event-stream: `hello` {serverTime, heartbeatIntervalSec, offlineAfterMs, keepAliveSec}, then `nodes` ' +
    '{serverTime, nodes: [the elements of GET /api/v1/nodes]} as heartbeats land, `resync` {reason} when the client ' +
    'should reload GET /api/v1/nodes, `bye` when the collector stops; a comment line every keep-alive interval',
});

export const liveRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    const streams = new LiveStreams(ctx, ctx.changes, app.log, {
      maxStreams: ctx.config.liveMaxStreams,
      keepAliveMs: ctx.config.liveKeepAliveSec * 1000,
    });
    // Before the server stops accepting: an open stream would otherwise hold app.close() until its client leaves.
    app.addHook('preClose', async () => streams.close());
    app.addHook('onRequest', adminAuth(ctx));

    app.get(
      LIVE_PATH,
      {
        // A HEAD would take a stream slot and, its body being ignored, never even flush the headers.
        exposeHeadRoute: false,
        schema: {
          ...doc(
            'nodes',
            'admin',
            'Live node updates (Server-Sent Events)',
            'Live node updates for the dashboard (Server-Sent Events); see docs/dashboard.md',
          ),
          querystring: Type.Object({}, { additionalProperties: false }),
          // By content type, so an OpenAPI document (@fastify/swagger) says text/event-stream, not JSON.
          response: { 200: { content: { 'text/event-stream': { schema: EventStream } } } },
        },
      },
      async (req, reply) => {
        if (streams.full) {
          ctx.metrics.liveStreamsRefused.inc();
          req.log.info({ streams: streams.size }, 'live stream refused: liveMaxStreams are open');
          reply.header('retry-after', String(Math.max(5, ctx.config.liveKeepAliveSec)));
          throw new CollectorError('TC_STREAMS_FULL', `${ctx.config.liveMaxStreams} open`);
        }
        reply.hijack();
        streams.open(reply.raw, req.ip);
      },
    );
  };
