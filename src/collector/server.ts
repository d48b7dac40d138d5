/**
 * Starts the collector: opens and migrates the store, builds the app, listens, prunes old raw records and
 * idempotency keys on a timer, and on SIGTERM/SIGINT stops accepting, lets requests in flight finish, closes the store.
 */
import { ReloadAcknowledger, reloadStatusDir } from '../ops/reload-status.js';
import { notifyReady, notifyReloading, notifyStopping, startWatchdog } from '../ops/sd-notify.js';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { trackConnections } from './connection-drain.js';
import { resolveAdminToken } from './admin-token.js';
import { parseListen, type CollectorConfig } from './config.js';
import { createLogger } from './logger.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  address: string;
  stop(): Promise<void>;
}

/** sd_notify is best effort: a failure is logged, never fatal. */
function notifySafely(logger: Logger, what: string, send: () => unknown): void {
  try {
    send();
  } catch (err) {
    logger.warn({ err: (err as Error).message }, `${what} notification failed`);
  }
}

/** One reload: the new log level applies at once; resolves with null, or with why the config was refused. */
function reloadOnce(
  config: CollectorConfig,
  logger: Logger,
  reloadConfig: (() => CollectorConfig) | undefined,
): string | null {
  if (!reloadConfig) return null;
  try {
    const next = reloadConfig();
    logger.level = next.logLevel;
    const changed = (Object.keys(next) as (keyof CollectorConfig)[]).filter(
      (k) => k !== 'logLevel' && JSON.stringify(next[k]) !== JSON.stringify(config[k]),
    );
    logger.info(
      { event: 'reload', logLevel: next.logLevel, needRestart: changed },
      changed.length ? `reloaded; restart to apply ${changed.join(', ')}` : 'reloaded',
    );
    return null;
  } catch (err) {
    const problems = (err as { problems?: string[] }).problems;
    logger.error({ event: 'reload-refused', problems }, `new configuration refused: ${(err as Error).message}`);
    const headline = (err as Error).message.split('\n')[0].replace(/:$/, '');
    return problems?.length ? `${headline}: ${problems.join('; ')}` : headline;
  }
}

export async function startServer(
  config: CollectorConfig,
  opts: { handleSignals?: boolean; reloadConfig?: () => CollectorConfig } = {},
): Promise<RunningServer> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.db, {
    pgPoolSize: config.pgPoolSize,
    logger,
    loadSampleGapMs: config.loadSampleMinGapSec * 1000,
  });
  const admin = resolveAdminToken(config.adminToken, config.db);
  if (admin.generated)
    logger.warn(
      { file: admin.file },
      'generated an admin token for the read API; it is stored in this file (mode 0600)',
    );
  else if (admin.file) logger.info({ file: admin.file }, 'admin token read from file');

  const app = await buildApp({ store, config, logger, adminToken: admin.token, defaultMetrics: true, runAlerts: true });
  const connections = trackConnections(app.server, (n) =>
    logger.warn(
      { connections: n, shutdownGraceMs: config.shutdownGraceMs },
      'requests still unanswered after shutdownGraceMs; their connections were cut',
    ),
  );
  // biome-ignore lint/style/noNonNullAssertion: loadConfig refused any listen value parseListen cannot read
  const { host, port } = parseListen(config.listen)!;
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    // The listen error is the one to report; closing what was opened only frees it.
    await app.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw err;
  }

  const prune = async () => {
    const now = Date.now();
    try {
      const r = await store.prune(
        now - config.rawRetentionHours * 3_600_000,
        now - config.idempotencyRetentionHours * 3_600_000,
      );
      if (r.rawRecords || r.idempotencyKeys) logger.info(r, 'pruned');
      const load = await store.pruneLoad(
        now - config.loadRawRetentionHours * 3_600_000,
        now - config.loadHourlyRetentionDays * 86_400_000,
      );
      if (load.samples || load.hours)
        logger.info({ loadSamples: load.samples, loadHours: load.hours }, 'pruned load history');
      const alerts = await store.quotas.pruneAlerts(now - config.alerts.retentionDays * 86_400_000, now);
      if (alerts) logger.info({ alerts }, 'pruned settled alerts');
    } catch (err) {
      logger.error({ err }, 'prune failed');
    }
  };
  const timer = setInterval(prune, config.pruneIntervalSec * 1000);
  timer.unref();
  void prune();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      clearInterval(timer);
      // Idle connections close now, requests in flight get shutdownGraceMs (src/collector/connection-drain.ts).
      const closed = app.close();
      connections.drain(config.shutdownGraceMs);
      await closed;
      connections.done();
      await store.close();
      logger.info('collector stopped');
    })();
    return stopping;
  };
  if (opts.handleSignals) {
    notifySafely(logger, 'readiness', () => notifyReady(`listening on ${address}`));
    const stopWatchdog = startWatchdog((err) => logger.warn({ err: err.message }, 'watchdog notification failed'));
    // SIGHUP (systemctl reload): the log level changes at once; other settings are reported as needing a restart.
    // `traffic-collector reload` (ExecReload) waits for the acknowledgement (src/ops/reload-status.ts).
    const reloads = new ReloadAcknowledger(
      reloadStatusDir(),
      async () => {
        notifySafely(logger, 'reloading', () => notifyReloading());
        try {
          return reloadOnce(config, logger, opts.reloadConfig);
        } finally {
          notifySafely(logger, 'readiness', () => notifyReady(`listening on ${address}`));
        }
      },
      (err) =>
        logger.warn({ err: err.message }, 'cannot write the reload status; `traffic-collector reload` will time out'),
    );
    reloads.announceRunning();
    process.on('SIGHUP', () => reloads.request());
    for (const sig of ['SIGTERM', 'SIGINT'] as const) {
      process.once(sig, () => {
        stopWatchdog();
        try {
          notifyStopping();
        } catch {
          /* systemd gone: nothing to tell */
        }
        logger.info({ signal: sig }, 'shutting down: finishing requests in flight');
        stop().then(
          () => process.exit(0),
          (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { app, store, address, stop };
}
