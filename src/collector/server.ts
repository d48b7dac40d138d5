/**
 * Starts the collector: opens and migrates the store, builds the app, listens, prunes old raw records and
 * idempotency keys on a timer, and on SIGTERM/SIGINT stops accepting, lets requests in flight finish, closes the store.
 */
import { notifyReady, notifyStopping, startWatchdog } from '../ops/sd-notify.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
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
      await app.close();
      await store.close();
      logger.info('collector stopped');
    })();
    return stopping;
  };
  if (opts.handleSignals) {
    try {
      notifyReady(`listening on ${address}`);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'readiness notification failed');
    }
    const stopWatchdog = startWatchdog((err) => logger.warn({ err: err.message }, 'watchdog notification failed'));
    // SIGHUP (systemctl reload): the log level changes at once; other settings are reported as needing a restart.
    process.on('SIGHUP', () => {
      if (!opts.reloadConfig) return;
      try {
        const next = opts.reloadConfig();
        logger.level = next.logLevel;
        const changed = (Object.keys(next) as (keyof CollectorConfig)[]).filter(
          (k) => k !== 'logLevel' && JSON.stringify(next[k]) !== JSON.stringify(config[k]),
        );
        logger.info(
          { event: 'reload', logLevel: next.logLevel, needRestart: changed },
          changed.length ? `reloaded; restart to apply ${changed.join(', ')}` : 'reloaded',
        );
      } catch (err) {
        logger.error(
          { event: 'reload-refused', problems: (err as { problems?: string[] }).problems },
          `new configuration refused: ${(err as Error).message}`,
        );
      }
    });
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
