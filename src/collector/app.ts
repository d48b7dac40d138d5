/**
 * Builds the collector's Fastify app from a store, a config and a logger; starts nothing (server.ts does), so tests
 * drive it with app.inject. Every body and query is validated by JSON schema (strict for bodies: no coercion, no
 * silent removal of unknown keys), every error leaves as an ErrorBody with a stable code from errors.ts.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type RouteOptions,
} from 'fastify';
import { Ajv } from 'ajv';
import { AuthFailureLimiter } from './auth-limiter.js';
import type { CollectorConfig } from './config.js';
import type { AppContext } from './context.js';
import underPressure from '@fastify/under-pressure';
import { CollectorError, errorBody } from './errors.js';
import { mapError } from './map-error.js';
import { COLLECTOR_KEEP_ALIVE_MS } from '../protocol/heartbeat.js';
import { createMetrics } from './metrics.js';
import { hashToken } from './tokens.js';
import type { Store } from './store/store.js';
import { isOnline } from './views.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { heartbeatRoutes } from './routes/heartbeat.js';
import { nodeRoutes } from './routes/nodes.js';
import { loadRoutes } from './routes/load.js';
import { rankingRoutes } from './routes/rankings.js';
import { userRoutes } from './routes/users.js';
import { reportRoutes } from './routes/reports.js';
import { anomalyRoutes } from './routes/anomalies.js';
import { panelRoutes } from './routes/panel.js';
import { dashboardStatic } from './routes/dashboard-static.js';
import { quotaRoutes } from './routes/quotas.js';
import { poolRoutes } from './routes/pools.js';
import { alertRoutes } from './routes/alerts.js';
import { AlertRunner } from './alerts/alert-runner.js';
import { liveRoutes } from './routes/live.js';
import { LocalNodeChanges, type NodeChanges } from './live/node-changes.js';
import { PgNodeChanges } from './live/pg-node-changes.js';
import { PostgresStore } from './store/postgres/postgres-store.js';
import { registerOpenApi } from './openapi.js';
import { registerApiDocs } from './routes/api-docs.js';

export interface BuildAppOptions {
  store: Store;
  config: CollectorConfig;
  /** A pino logger, or false for none (tests). */
  logger?: FastifyBaseLogger | false;
  adminToken: string;
  now?: () => number;
  defaultMetrics?: boolean;
  /** Called with every route as it is registered (fastify's onRoute hook); tests list the routes with it. */
  onRoute?: (route: RouteOptions) => void;
  /** Run the alert loop (evaluation + webhook delivery) while the app is up; server.ts turns it on. */
  runAlerts?: boolean;
  /** Node changes for the live streams; default: PostgreSQL LISTEN/NOTIFY on a PostgreSQL store, else in-process. */
  changes?: NodeChanges;
}

const bodyAjv = new Ajv({
  allErrors: false,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  strict: false,
  verbose: true,
});
const queryAjv = new Ajv({
  allErrors: false,
  coerceTypes: true,
  removeAdditional: false,
  useDefaults: true,
  strict: false,
  verbose: true,
});

/** 503s that are limits doing their job, not failures: counted in /metrics, not logged as errors. */
const EXPECTED_503: ReadonlySet<string> = new Set(['TC_OVERLOADED', 'TC_STREAMS_FULL']);

class Overloaded extends CollectorError {
  constructor() {
    super('TC_OVERLOADED');
  }
}

export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const { store, config } = opts;
  const now = opts.now ?? Date.now;
  const app = Fastify({
    loggerInstance: opts.logger || undefined,
    logger: opts.logger ? undefined : false,
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    return503OnClosing: true,
    // One line per request at info would drown the log (a dashboard polls, probes hit /healthz): the onResponse hook
    // below logs successes at debug and refusals (4xx) at info; 5xx are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    keepAliveTimeout: COLLECTOR_KEEP_ALIVE_MS,
    // A request whose headers and body are not in within requestTimeoutMs is cut with 408 by Node's own timer, which
    // looks at open connections once a second (Node's default would be every 30 s).
    requestTimeout: config.requestTimeoutMs,
    http: {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(60_000, config.requestTimeoutMs),
      connectionsCheckingInterval: 1000,
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  if (opts.onRoute) app.addHook('onRoute', opts.onRoute);

  // Back-pressure before anything else: past the configured event-loop delay or heap every request is answered
  // 503 TC_OVERLOADED with Retry-After (the agent backs off on 503), before its credentials or body are looked at.
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.maxHeapUsedBytes,
    retryAfter: 10,
    customError: Overloaded,
  });
  // A request answered before its body was read (refused credentials, a declared length over the limit, too many
  // users) gets `Connection: close`, so Node drops the connection instead of reading the rest of the body.
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400 && req.raw.complete === false) reply.header('connection', 'close');
    return payload;
  });

  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? bodyAjv : queryAjv;
    return ajv.compile(schema) as ReturnType<Parameters<FastifyInstance['setValidatorCompiler']>[0]>;
  });

  const changes =
    opts.changes ?? (store instanceof PostgresStore ? new PgNodeChanges(store.url, app.log) : new LocalNodeChanges());
  // The streams end in their own preClose hook; the LISTEN connection after every request is done.
  if (!opts.changes) app.addHook('onClose', async () => changes.close());
  const ctx: AppContext = {
    changes,
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
    if (reply.statusCode < 500)
      req.log[reply.statusCode >= 400 ? 'info' : 'debug'](
        { req, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
        'request completed',
      );
    ctx.metrics.requests.inc({
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const mapped = mapError(err);
    // TC_OVERLOADED and TC_STREAMS_FULL are the intended answers at a limit, counted in /metrics, not failures; a line
    // per request at error would add load (routes/live.ts logs its refusal at info).
    if (mapped.statusCode >= 500 && !EXPECTED_503.has(mapped.code)) req.log.error({ err }, 'request failed');
    return reply.code(mapped.statusCode).send(mapped.toBody());
  });
  // text/plain is no body of ours: without Fastify's default parser for it, such a body is 415 TC_BAD_CONTENT_TYPE
  // (as ERRORS.md says), not a string that fails the schema.
  app.removeContentTypeParser('text/plain');
  // A path that some route serves with another method is 405 with Allow; anything else is 404.
  const routes: Array<{ method: string; path: RegExp }> = [];
  app.addHook('onRoute', (r) => {
    const pattern = r.url.replace(/[.+?^$()|[\]\\{}*]/g, '\\$&').replace(/:[^/]+/g, '[^/]+');
    const path = new RegExp(`^${pattern}/?$`);
    for (const method of [r.method].flat()) routes.push({ method, path });
  });
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allow = [...new Set(routes.filter((r) => r.path.test(path)).map((r) => r.method))];
    if (allow.length)
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send(errorBody('TC_METHOD_NOT_ALLOWED', `${req.method} ${path}; allowed: ${allow.join(', ')}`));
    return reply.code(404).send(errorBody('TC_NOT_FOUND', `${req.method} ${path}`));
  });

  // Before the routes: @fastify/swagger learns each route as it is added.
  await registerOpenApi(app);
  await app.register(healthRoutes(ctx));
  await app.register(metricsRoutes(ctx));
  await app.register(heartbeatRoutes(ctx));
  await app.register(nodeRoutes(ctx));
  await app.register(loadRoutes(ctx));
  await app.register(rankingRoutes(ctx));
  await app.register(userRoutes(ctx));
  await app.register(reportRoutes(ctx));
  await app.register(anomalyRoutes(ctx));
  await app.register(panelRoutes(ctx));
  await app.register(quotaRoutes(ctx));
  await app.register(poolRoutes(ctx));
  await app.register(alertRoutes(ctx));
  await app.register(liveRoutes(ctx));
  await app.register(dashboardStatic);
  await registerApiDocs(app);
  if (opts.runAlerts) {
    const runner = new AlertRunner(ctx, app.log);
    app.addHook('onReady', async () => runner.start());
    app.addHook('onClose', async () => runner.stop());
  }
  return app;
}
