/**
 * Builds the collector's Fastify app from a store, a config and a logger; starts nothing (server.ts does), so tests
 * drive it with app.inject. Every body and query is validated by JSON schema (strict for bodies: no coercion, no
 * silent removal of unknown keys), every error leaves as an ErrorBody with a stable code from errors.ts.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { Ajv } from 'ajv';
import { AuthFailureLimiter } from './auth-limiter.js';
import type { CollectorConfig } from './config.js';
import type { AppContext } from './context.js';
import { CollectorError, errorBody } from './errors.js';
import { createMetrics } from './metrics.js';
import { hashToken } from './tokens.js';
import type { Store } from './store/store.js';
import { isOnline } from './views.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { heartbeatRoutes } from './routes/heartbeat.js';
import { nodeRoutes } from './routes/nodes.js';
import { rankingRoutes } from './routes/rankings.js';
import { userRoutes } from './routes/users.js';
import { panelRoutes } from './routes/panel.js';
import { dashboardStatic } from './routes/dashboard-static.js';

export interface BuildAppOptions {
  store: Store;
  config: CollectorConfig;
  /** A pino logger, or false for none (tests). */
  logger?: FastifyBaseLogger | false;
  adminToken: string;
  now?: () => number;
  defaultMetrics?: boolean;
}

/** Never logged: tokens travel in the Authorization header, in ?token= and in panel bodies. */
export const LOG_REDACT = ['req.headers.authorization', 'req.query.token', 'req.body.token', 'headers.authorization'];

const bodyAjv = new Ajv({
  allErrors: false,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
});
const queryAjv = new Ajv({
  allErrors: false,
  coerceTypes: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
});

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { store, config } = opts;
  const now = opts.now ?? Date.now;
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    logger: opts.logger ? undefined : false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : queryAjv;
    return ajv.compile(schema) as ReturnType<Parameters<FastifyInstance['setValidatorCompiler']>[0]>;
  });

  const ctx: AppContext = {
    store,
    config,
    now,
    limiter: new AuthFailureLimiter(config.authFailuresPerMinute, now),
    adminTokenHash: hashToken(opts.adminToken),
    metrics: createMetrics(async () => {
      const t = now();
      return (await store.listNodeStats()).filter((s) => isOnline(s, t, config)).length;
    }, opts.defaultMetrics),
  };

  app.addHook('onResponse', async (req, reply) => {
    ctx.metrics.requests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const mapped = mapError(err);
    if (mapped.statusCode >= 500) req.log.error({ err }, 'request failed');
    return reply.code(mapped.statusCode).send(mapped.toBody());
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send(errorBody('TC_NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`)),
  );

  await app.register(healthRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(heartbeatRoutes(ctx));
  await app.register(nodeRoutes(ctx));
  await app.register(rankingRoutes(ctx));
  await app.register(userRoutes(ctx));
  await app.register(panelRoutes(ctx));
  await app.register(dashboardStatic);
  return app;
}

/** Fastify's own errors and ours -> a CollectorError with a stable code. */
export function mapError(err: FastifyError): CollectorError {
  if (err instanceof CollectorError) return err;
  if (err instanceof RangeError) return new CollectorError('TC_BAD_COUNT', err.message);
  if (err.validation) {
    const first = err.validation[0];
    if (first?.keyword === 'maxItems' && first.instancePath === '/records')
      return new CollectorError('TC_TOO_MANY_RECORDS');
    return new CollectorError(
      'TC_VALIDATION',
      `${err.validationContext ?? 'body'}${first?.instancePath ?? ''} ${first?.message ?? ''}`.trim(),
    );
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new CollectorError('TC_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new CollectorError('TC_BAD_CONTENT_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new CollectorError('TC_BAD_JSON');
    default:
      break;
  }
  if (err instanceof SyntaxError || err.statusCode === 400) return new CollectorError('TC_BAD_JSON', err.message);
  if (err.statusCode === 413) return new CollectorError('TC_BODY_TOO_LARGE');
  if (err.statusCode === 415) return new CollectorError('TC_BAD_CONTENT_TYPE');
  if (err.statusCode === 405) return new CollectorError('TC_METHOD_NOT_ALLOWED');
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return new CollectorError('TC_VALIDATION', err.message);
  return new CollectorError('TC_INTERNAL');
}
