/**
 * `traffic-agent run`: ticks every heartbeatIntervalSec, delivers after each tick and on the backoff timer,
 * reloads its config on SIGHUP, and on SIGTERM/SIGINT finishes the tick in progress, takes a last sample,
 * saves, tries one last delivery within shutdownDeadlineMs, and exits 0.
 */
import { loadConfig } from '../config/load-config.js';
import { toAgentError, withCode } from '../errors.js';
import { notifyReady, notifyReloading, notifyStopping, startWatchdog } from '../../ops/sd-notify.js';
import { lockStateDir } from '../state/state-lock.js';
import { openAgentProcess, type AgentProcess } from './agent-process.js';
import { DaemonPanelPoll } from './panel-poll.js';
import { errorMessage } from '../../common/error-message.js';

export interface DaemonHooks {
  /** Called once the daemon is running (the metrics server hooks in here). */
  onStart?: (proc: AgentProcess) => Promise<void> | void;
  onReload?: (proc: AgentProcess) => Promise<void> | void;
  onStop?: (proc: AgentProcess) => Promise<void> | void;
}

/** A URL for the log: any user:password in it is left out. */
function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    // Only for a log line: the config schema already checked the URL, and a log line must not throw.
    return '(unparsable URL)';
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runDaemon(
  configFile: string,
  logLevel: string | undefined,
  hooks: DaemonHooks = {},
): Promise<number> {
  const proc = openAgentProcess(configFile, logLevel);
  const { runtime, logger } = proc;
  // Held until the process ends: one writer per state directory (docs/state-directory.md).
  await lockStateDir(proc.cfg.stateDir, { allowInsecure: proc.cfg.allowInsecureStateDir });
  await runtime.open();
  proc.hostFacts.start(proc.cfg.hostFactsRefreshSec);
  const panelPoll = new DaemonPanelPoll(logger);
  await panelPoll.apply(proc.cfg);

  let stopping = false;
  let tickTimer: NodeJS.Timeout | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let current: Promise<unknown> = Promise.resolve();

  const scheduleRetry = () => {
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const wait = runtime.nextRetryInMs();
    if (wait === null || stopping) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      current = runtime
        .deliver({ drain: true })
        .then(scheduleRetry, (err) => logger.error({ err }, 'delivery round failed'));
    }, wait);
  };

  const tickOnce = async () => {
    try {
      await runtime.tick(proc.readSample);
    } catch (err) {
      const e = toAgentError(err, 'TICK_FAILED');
      logger.error(
        withCode(e.code, { details: e.details }),
        `tick failed: ${e.message}; nothing counted is lost, the next tick tries again`,
      );
      return;
    }
    await runtime.deliver({ drain: true });
    scheduleRetry();
  };

  let nextAt = Date.now();
  const loop = () => {
    if (stopping) return;
    current = tickOnce().finally(() => {
      if (stopping) return;
      const interval = proc.cfg.heartbeatIntervalSec * 1000;
      nextAt += interval;
      const now = Date.now();
      if (nextAt < now) nextAt = now + interval; // fell behind (suspend, slow disk): do not burst
      tickTimer = setTimeout(() => {
        tickTimer = null;
        loop();
      }, nextAt - now);
    });
  };

  const stopWatchdog = startWatchdog((err) =>
    logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: err.message }), 'watchdog notification failed'),
  );
  // Signals are taken before the first tick: a SIGTERM while it runs (a slow collector can hold it for timeoutMs)
  // still finishes it, takes the last sample, saves, delivers and exits 0.
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => (exit = r));
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    try {
      notifyStopping();
    } catch (err) {
      logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: errorMessage(err) }), 'stopping notification failed');
    }
    logger.info({ event: 'stop', signal }, 'stopping: last sample, save, last delivery');
    if (tickTimer) clearTimeout(tickTimer);
    if (retryTimer) clearTimeout(retryTimer);
    stopWatchdog();
    proc.hostFacts.stop();
    // The poll logs its own failures (panel-user-poll.ts), and the tick or delivery in progress was logged where it
    // failed (tickOnce, scheduleRetry): here they only need to have ended.
    await panelPoll.stop().catch(() => undefined);
    await current.catch(() => undefined);
    try {
      await runtime.tick(proc.readSample);
    } catch (err) {
      logger.error(
        withCode(toAgentError(err, 'TICK_FAILED').code, { err: errorMessage(err) }),
        'last sample failed; the saved state still covers everything counted',
      );
    }
    const deadline = proc.cfg.shutdownDeadlineMs;
    const lastDelivery = runtime.deliver({ force: true, drain: true }).catch((err: unknown) => {
      logger.warn(
        withCode('DELIVERY_FAILED', { err: errorMessage(err) }),
        'last delivery failed; the records stay queued',
      );
    });
    await Promise.race([lastDelivery, sleep(deadline)]);
    await runtime.flush();
    await hooks.onStop?.(proc);
    // Closing a sink only closes its connections at exit: nothing counted or queued depends on it.
    await Promise.race([Promise.all(runtime.activeSinks.map((s) => s.close().catch(() => undefined))), sleep(200)]);
    logger.info({ event: 'stopped', pending: runtime.state?.outbox.length ?? 0 }, 'traffic-agent stopped');
    exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  await hooks.onStart?.(proc);
  loop();
  await current;
  if (stopping) return await exited;
  try {
    notifyReady(`counting ${Object.keys(runtime.state?.interfaces ?? {}).length} interfaces`);
  } catch (err) {
    logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: errorMessage(err) }), 'readiness notification failed');
  }
  logger.info(
    {
      event: 'start',
      stateDir: proc.cfg.stateDir,
      epoch: runtime.state?.epoch,
      collector: safeUrl(proc.cfg.collector.url),
      intervalSec: proc.cfg.heartbeatIntervalSec,
    },
    'traffic-agent running',
  );

  const reload = async () => {
    try {
      notifyReloading();
    } catch (err) {
      logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: errorMessage(err) }), 'reloading notification failed');
    }
    try {
      const next = loadConfig(configFile);
      if (next.stateDir !== proc.cfg.stateDir) {
        logger.warn(
          { event: 'reload', key: 'stateDir' },
          'stateDir cannot change while running; restart to move the state',
        );
      }
      await current;
      proc.apply({ ...next, stateDir: proc.cfg.stateDir });
      await panelPoll.apply(proc.cfg);
      // Restart the wait with the new interval; a tick in progress schedules the next one itself when it ends.
      if (tickTimer) {
        clearTimeout(tickTimer);
        tickTimer = null;
        nextAt = Date.now();
        loop();
      }
      await hooks.onReload?.(proc);
      logger.info(
        {
          event: 'reload',
          intervalSec: next.heartbeatIntervalSec,
          include: next.interfaces.include,
          exclude: next.interfaces.exclude,
          collector: safeUrl(next.collector.url),
          level: logger.level,
        },
        'configuration reloaded',
      );
    } catch (err) {
      const e = toAgentError(err, 'CONFIG_INVALID');
      logger.error(
        withCode(e.code, { event: 'reload-refused', problems: e.details }),
        `new configuration refused, the old one stays: ${e.message}`,
      );
    } finally {
      try {
        notifyReady();
      } catch (err) {
        logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: errorMessage(err) }), 'readiness notification failed');
      }
    }
  };

  process.on('SIGHUP', () => void reload());
  return await exited;
}
