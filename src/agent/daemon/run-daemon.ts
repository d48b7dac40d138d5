/**
 * `traffic-agent run`: samples every heartbeatIntervalSec and delivers in the background (a tick never waits for a
 * sink), retries on the backoff timer, reloads its config on SIGHUP, and on SIGTERM/SIGINT finishes the tick in
 * progress, takes a last sample, saves, tries one last delivery within shutdownDeadlineMs, and exits 0.
 * READY reaches systemd once the first sample is saved, whatever the sinks are doing.
 */
import { ReloadAcknowledger, reloadStatusDir } from '../../ops/reload-status.js';
import { notifyReady, notifyReloading, notifyStopping, startWatchdog } from '../../ops/sd-notify.js';
import { loadConfig } from '../config/load-config.js';
import { errorMessage, toAgentError, withCode } from '../errors.js';
import { lockStateDir } from '../state/state-lock.js';
import { type AgentProcess, openAgentProcess } from './agent-process.js';
import { DaemonPanelPoll } from './panel-poll.js';

export interface DaemonHooks {
  /** Called once the daemon is running (the metrics server hooks in here). */
  onStart?: (proc: AgentProcess) => Promise<void> | void;
  /** Called once the first sample is saved and READY sent. */
  onRunning?: (proc: AgentProcess) => void;
  onReload?: (proc: AgentProcess) => Promise<void> | void;
  onStop?: (proc: AgentProcess) => Promise<void> | void;
}

/** Past shutdownDeadlineMs, this long is left for the last save and closing before the process exits regardless. */
export const SHUTDOWN_MARGIN_MS = 1_000;

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

/** sd_notify is best effort: a missing or broken NOTIFY_SOCKET is logged ("<what> notification failed"), never fatal. */
function notify(proc: AgentProcess, what: string, send: () => unknown): void {
  try {
    send();
  } catch (err) {
    proc.logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: errorMessage(err) }), `${what} notification failed`);
  }
}

class Daemon {
  private stopping = false;
  private tickTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The tick in progress (sampling and saving only). */
  private ticking: Promise<void> = Promise.resolve();
  /** The delivery rounds in progress, and whether another was asked for meanwhile. */
  private delivering: Promise<void> | null = null;
  private deliverAgain = false;
  private nextTickAt = Date.now();
  private stopWatchdog: () => void = () => undefined;
  private readonly panelPoll: DaemonPanelPoll;
  /** Runs reloads one at a time and tells `traffic-agent reload` when each is over (src/ops/reload-status.ts). */
  private readonly reloads: ReloadAcknowledger;
  private exit!: (code: number) => void;
  readonly exited = new Promise<number>((r) => (this.exit = r));

  constructor(
    private readonly proc: AgentProcess,
    private readonly configFile: string,
    private readonly hooks: DaemonHooks,
  ) {
    this.panelPoll = new DaemonPanelPoll(proc.logger);
    this.reloads = new ReloadAcknowledger(
      reloadStatusDir(),
      () => this.reload(),
      (err) =>
        proc.logger.warn(
          withCode('RELOAD_STATUS_FAILED', { err: err.message }),
          'cannot write the reload status; `traffic-agent reload` will time out',
        ),
    );
  }

  /** Opens the state, starts the side jobs, takes the first sample, then says READY and ticks on. */
  async start(): Promise<number> {
    const { proc } = this;
    // Held until the process ends: one writer per state directory (docs/state-directory.md).
    await lockStateDir(proc.cfg.stateDir, { allowInsecure: proc.cfg.allowInsecureStateDir });
    await proc.open();
    proc.hostFacts.start(proc.cfg.hostFactsRefreshSec);
    await this.panelPoll.apply(proc.cfg);
    this.stopWatchdog = startWatchdog((err) =>
      proc.logger.warn(withCode('SYSTEMD_NOTIFY_FAILED', { err: err.message }), 'watchdog notification failed'),
    );
    // Signals are taken before the first tick: a SIGTERM during it still ends in a last sample, save and delivery.
    process.on('SIGTERM', () => void this.stop('SIGTERM'));
    process.on('SIGINT', () => void this.stop('SIGINT'));
    await this.hooks.onStart?.(proc);
    this.tickNow();
    await this.ticking;
    if (this.stopping) return this.exited;
    this.announceRunning();
    this.hooks.onRunning?.(proc);
    process.on('SIGHUP', () => this.reloads.request());
    return this.exited;
  }

  /** READY once the first sample is saved (or failed and logged): delivery has nothing to do with it. */
  private announceRunning(): void {
    const { proc } = this;
    const counted = proc.countedInterfaces();
    const status = `counting ${counted.length} interface${counted.length === 1 ? '' : 's'}: ${counted.join(', ')}`;
    notify(proc, 'readiness', () => notifyReady(status));
    this.reloads.announceRunning();
    proc.logger.info(
      {
        event: 'start',
        stateDir: proc.cfg.stateDir,
        epoch: proc.ledger.snapshot?.epoch,
        collector: safeUrl(proc.cfg.collector.url),
        intervalSec: proc.cfg.heartbeatIntervalSec,
      },
      'traffic-agent running',
    );
  }

  /** One tick now: sample, account, save; then delivery is started in the background and the next tick planned. */
  private tickNow(): void {
    this.ticking = this.sampleAndSave().then(() => {
      if (this.stopping) return;
      this.deliverInBackground();
      this.planNextTick();
    });
  }

  private async sampleAndSave(): Promise<void> {
    try {
      await this.proc.tick();
    } catch (err) {
      const e = toAgentError(err, 'TICK_FAILED');
      this.proc.logger.error(
        withCode(e.code, { details: e.details }),
        `tick failed: ${e.message}; nothing counted is lost, the next tick tries again`,
      );
    }
  }

  /** The next tick on the interval's grid; after a stall (suspend, slow disk) one interval from now, never a burst. */
  private planNextTick(): void {
    const interval = this.proc.cfg.heartbeatIntervalSec * 1000;
    this.nextTickAt += interval;
    const now = Date.now();
    if (this.nextTickAt < now) this.nextTickAt = now + interval;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = null;
      if (!this.stopping) this.tickNow();
    }, this.nextTickAt - now);
  }

  /** Starts delivery rounds unless they run already (then one more follows them); a tick never waits for this. */
  private deliverInBackground(): void {
    if (this.delivering !== null) {
      this.deliverAgain = true;
      return;
    }
    const { dispatcher, logger } = this.proc;
    this.delivering = (async () => {
      do {
        this.deliverAgain = false;
        await dispatcher.deliver({ drain: true });
      } while (this.deliverAgain && !this.stopping);
    })()
      .catch((err: unknown) => logger.error(withCode('INTERNAL', { err: errorMessage(err) }), 'delivery round failed'))
      .finally(() => {
        this.delivering = null;
        this.planRetry();
      });
  }

  /** When a sink backs off, a delivery round at the end of its backoff (ticks may come later than that). */
  private planRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const wait = this.proc.dispatcher.nextRetryInMs();
    if (wait === null || this.stopping) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.deliverInBackground();
    }, wait);
  }

  /** Applies the config on disk; resolves with null, or with why it was refused (the old config stays). */
  private async reload(): Promise<string | null> {
    const { proc } = this;
    notify(proc, 'reloading', () => notifyReloading());
    try {
      const next = loadConfig(this.configFile);
      if (next.stateDir !== proc.cfg.stateDir) {
        proc.logger.warn(
          { event: 'reload', key: 'stateDir' },
          'stateDir cannot change while running; restart to move the state',
        );
      }
      await this.ticking;
      proc.apply({ ...next, stateDir: proc.cfg.stateDir });
      await this.panelPoll.apply(proc.cfg);
      // Restart the wait with the new interval; a tick in progress plans the next one itself when it ends.
      if (this.tickTimer) {
        clearTimeout(this.tickTimer);
        this.tickTimer = null;
        this.nextTickAt = Date.now();
        this.tickNow();
      }
      await this.hooks.onReload?.(proc);
      proc.logger.info(
        {
          event: 'reload',
          intervalSec: next.heartbeatIntervalSec,
          include: next.interfaces.include,
          exclude: next.interfaces.exclude,
          collector: safeUrl(next.collector.url),
          level: proc.logger.level,
        },
        'configuration reloaded',
      );
      return null;
    } catch (err) {
      const e = toAgentError(err, 'CONFIG_INVALID');
      proc.logger.error(
        withCode(e.code, { event: 'reload-refused', problems: e.details }),
        `new configuration refused, the old one stays: ${e.message}`,
      );
      return e.details.length ? `${e.message}: ${e.details.join('; ')}` : e.message;
    } finally {
      notify(proc, 'readiness', () => notifyReady());
    }
  }

  /**
   * SIGTERM/SIGINT: the tick in progress ends, a last sample is saved, one last delivery runs until
   * shutdownDeadlineMs, the state is flushed and the process exits 0. Whatever hangs, it exits by
   * shutdownDeadlineMs + SHUTDOWN_MARGIN_MS: every byte counted is in the saved state by then.
   */
  private async stop(signal: string): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { proc } = this;
    const deadline = proc.cfg.shutdownDeadlineMs;
    const hardStop = setTimeout(() => {
      proc.logger.error(
        { event: 'stop-forced', deadlineMs: deadline },
        `shutdown took longer than shutdownDeadlineMs + ${SHUTDOWN_MARGIN_MS} ms; exiting, the saved state covers everything counted`,
      );
      this.exit(0);
    }, deadline + SHUTDOWN_MARGIN_MS);
    const lastDeliveryBy = Date.now() + deadline;
    notify(proc, 'stopping', () => notifyStopping());
    proc.logger.info({ event: 'stop', signal }, 'stopping: last sample, save, last delivery');
    this.stopTimers();
    await Promise.race([this.panelPoll.stop(), sleep(200)]);
    await this.ticking;
    await this.lastSample();
    await Promise.race([this.lastDelivery(), sleep(Math.max(0, lastDeliveryBy - Date.now()))]);
    await proc.ledger.flush();
    await this.hooks.onStop?.(proc);
    // Closing a sink only closes its connections at exit: nothing counted or queued depends on it.
    await Promise.race([
      Promise.all(proc.dispatcher.activeSinks.map((s) => s.close().catch(() => undefined))),
      sleep(200),
    ]);
    proc.logger.info({ event: 'stopped', pending: proc.ledger.snapshot?.outbox.length ?? 0 }, 'traffic-agent stopped');
    clearTimeout(hardStop);
    this.exit(0);
  }

  private stopTimers(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.tickTimer = null;
    this.retryTimer = null;
    this.stopWatchdog();
    this.proc.hostFacts.stop();
  }

  private async lastSample(): Promise<void> {
    try {
      await this.proc.tick();
    } catch (err) {
      this.proc.logger.error(
        withCode(toAgentError(err, 'TICK_FAILED').code, { err: errorMessage(err) }),
        'last sample failed; the saved state still covers everything counted',
      );
    }
  }

  /** The rounds in progress end (each request has its own deadline), then one forced round for everything. */
  private async lastDelivery(): Promise<void> {
    await this.delivering;
    await this.proc.dispatcher.idle();
    await this.proc.dispatcher.deliver({ force: true, drain: true }).catch((err: unknown) => {
      this.proc.logger.warn(
        withCode('DELIVERY_FAILED', { err: errorMessage(err) }),
        'last delivery failed; the records stay queued',
      );
    });
  }
}

export async function runDaemon(
  configFile: string,
  logLevel: string | undefined,
  hooks: DaemonHooks = {},
): Promise<number> {
  return new Daemon(openAgentProcess(configFile, logLevel), configFile, hooks).start();
}
