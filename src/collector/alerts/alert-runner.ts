/**
 * The collector's alert loop: every evalIntervalSec it writes the alerts the state calls for into the ledger (each
 * at most once, by key), then sends the due deliveries. A delivery is marked delivered only after a 2xx; a failure
 * is retried with exponential backoff (with jitter) until giveUpAfterHours after the alert fired, then marked failed.
 * A crash at any point loses nothing: the alert is on disk before its first attempt, and an attempt whose outcome was
 * never recorded is due again when its lease ends (the receiver drops the repeat by its Idempotency-Key).
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Agent } from 'undici';
import type { AppContext } from '../context.js';
import { findAnomalies, nodeTiming } from '../anomalies/find-anomalies.js';
import { quotaReports } from '../quota/quota-status.js';
import type { DeliveryJob, NewAlert } from '../store/quota-store.js';
import type { AlertChannel } from './alert-config.js';
import { anomalyAlerts, eventAlerts, presenceAlerts, quotaAlerts } from './alert-rules.js';
import { sendWebhook, webhookAgent } from './webhook-delivery.js';

/** Event records looked at again on each pass (a restart within this time misses none). */
const EVENT_LOOKBACK_MS = 6 * 3_600_000;
const CLAIM_BATCH = 32;
const KNOWN_KEYS_MAX = 100_000;

export function retryDelay(attempts: number, baseMs: number, maxMs: number, jitter = 1): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.max(1, Math.round(exp * jitter));
}

export class AlertRunner {
  private readonly agent: Agent;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** Keys known to be in the ledger: no write is attempted for them again. */
  private readonly known = new Set<string>();
  /** When the unusual-traffic detector last ran for alerts (it reads weeks of every node: not on every pass). */
  private anomaliesAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: AppContext,
    private readonly log: FastifyBaseLogger,
  ) {
    const a = ctx.config.alerts;
    this.agent = webhookAgent(a.requestTimeoutMs, a.keepAlive);
    this.startedAt = ctx.now();
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.running = this.pass().finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(tick, this.ctx.config.alerts.evalIntervalSec * 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    // Stopping: closing the HTTP client only frees its sockets; a delivery it cut stays pending in the ledger.
    await this.agent.close().catch(() => undefined);
  }

  /** One evaluation and one round of deliveries; errors are logged, never thrown (the next pass tries again). */
  async pass(): Promise<void> {
    try {
      await this.evaluate();
    } catch (err) {
      this.log.error({ err }, 'alert evaluation failed');
    }
    try {
      await this.deliverDue();
    } catch (err) {
      this.log.error({ err }, 'alert delivery failed');
    }
  }

  private channelsFor(names: readonly string[]): string[] {
    const all = this.ctx.config.alertChannels.map((c) => c.name);
    return names.length ? names.filter((n) => all.includes(n)) : all;
  }

  private async fire(a: NewAlert, channels: string[]): Promise<void> {
    if (this.known.has(a.key)) return;
    const created = await this.ctx.store.quotas.fireAlert(a, channels);
    if (this.known.size >= KNOWN_KEYS_MAX) this.known.clear();
    this.known.add(a.key);
    if (created) {
      this.ctx.metrics.alertsFired.inc({ kind: a.kind });
      this.log.info({ event: 'alert', key: a.key, kind: a.kind, channels }, 'alert fired');
    }
  }

  async evaluate(): Promise<void> {
    const { store, config } = this.ctx;
    const now = this.ctx.now();
    for (const r of await quotaReports(store, now)) {
      const channels = this.channelsFor(r.quota.channels);
      for (const a of quotaAlerts(r, now)) await this.fire(a, channels);
    }
    const nodeChannels = this.channelsFor(config.alerts.nodeChannels);
    const stats = await store.listNodeStats();
    if (config.alerts.nodeOffline) {
      const offlineMs = config.heartbeatIntervalSec * config.offlineAfterIntervals * 1000;
      const latest = await store.quotas.latestAlertKeys('offline');
      const mayCallOffline = now - this.startedAt >= offlineMs;
      for (const a of presenceAlerts(stats, latest, now, offlineMs, mayCallOffline)) await this.fire(a, nodeChannels);
    }
    if (config.alerts.nodeEvents) {
      const names = new Map(stats.map((s) => [s.id, s.name]));
      const records = await store.quotas.eventRecords(now - EVENT_LOOKBACK_MS);
      for (const a of eventAlerts(records, names, now)) await this.fire(a, nodeChannels);
    }
    const an = config.alerts.anomalies;
    if (an.enabled && an.scopes.length && now - this.anomaliesAt >= an.everySec * 1000) {
      this.anomaliesAt = now;
      const found = await findAnomalies(store, {
        from: now - an.lookbackHours * 3_600_000,
        to: now,
        scopes: an.scopes,
        timeZone: config.timezone,
        now,
        ...nodeTiming(config),
      });
      const names = new Map(stats.map((s) => [s.id, s.name]));
      const wanted = found.filter((f) => an.kinds.includes(f.kind));
      const channels = this.channelsFor(an.channels);
      for (const a of anomalyAlerts(wanted, names, now)) await this.fire(a, channels);
    }
  }

  async deliverDue(): Promise<void> {
    const a = this.ctx.config.alerts;
    const leaseMs = a.requestTimeoutMs * 2 + 1000;
    for (;;) {
      if (this.stopped) return;
      const jobs = await this.ctx.store.quotas.claimDeliveries(this.ctx.now(), leaseMs, CLAIM_BATCH);
      if (!jobs.length) return;
      await Promise.all(jobs.map((j) => this.deliver(j)));
      if (jobs.length < CLAIM_BATCH) return;
    }
  }

  private async deliver(j: DeliveryJob): Promise<void> {
    const a = this.ctx.config.alerts;
    const channel: AlertChannel | undefined = this.ctx.config.alertChannels.find((c) => c.name === j.channel);
    const result = channel
      ? await sendWebhook(this.agent, channel, j.alertKey, j.payload, {
          timeoutMs: a.requestTimeoutMs,
          maxResponseBytes: a.maxResponseBytes,
        })
      : { ok: false, error: 'channel not configured' };
    const at = this.ctx.now();
    if (result.ok) {
      await this.ctx.store.quotas.finishDelivery(j.alertId, j.channel, { ok: true, at });
      this.ctx.metrics.alertsDelivered.inc({ channel: j.channel });
      this.log.info(
        { event: 'alert-delivered', key: j.alertKey, channel: j.channel, attempts: j.attempts },
        'alert delivered',
      );
      return;
    }
    this.ctx.metrics.alertsFailed.inc({ channel: j.channel });
    const giveUp = at - j.firedAt >= a.giveUpAfterHours * 3_600_000;
    const retryAt = giveUp ? null : at + retryDelay(j.attempts, a.retryBaseMs, a.retryMaxMs, 0.8 + Math.random() * 0.4);
    await this.ctx.store.quotas.finishDelivery(j.alertId, j.channel, {
      ok: false,
      at,
      error: result.error ?? 'failed',
      retryAt,
    });
    this.log.warn(
      {
        event: 'alert-delivery-failed',
        key: j.alertKey,
        channel: j.channel,
        attempts: j.attempts,
        error: result.error,
        retryAt,
      },
      giveUp ? 'alert delivery failed; giving up' : 'alert delivery failed; will retry',
    );
  }
}
