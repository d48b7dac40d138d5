/**
 * The agent's Prometheus metrics, read from the ledger and the dispatcher at scrape time (nothing is computed on the
 * tick's path).
 * Names follow node_exporter's style: <namespace>_<subsystem>_<what>_<unit>[_total], device label for interfaces.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Dispatcher } from '../daemon/dispatcher.js';
import type { Ledger } from '../daemon/ledger.js';

/** What the metrics read: the agent's ledger (state, disk health) and dispatcher (sink health, sink stats). */
export interface MetricsSource {
  readonly ledger: Ledger;
  readonly dispatcher: Dispatcher;
}

export function agentRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  const state = () => source.ledger.snapshot;

  new Counter({
    name: 'traffic_agent_network_receive_bytes_total',
    help: 'Kernel receive byte counter of each interface at the last sample (as in /proc/net/dev).',
    labelNames: ['device'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [device, m] of Object.entries(state()?.interfaces ?? {}))
        if (m.goneAt === undefined) this.inc({ device }, Number(m.rx));
    },
  });
  new Counter({
    name: 'traffic_agent_network_transmit_bytes_total',
    help: 'Kernel transmit byte counter of each interface at the last sample (as in /proc/net/dev).',
    labelNames: ['device'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [device, m] of Object.entries(state()?.interfaces ?? {}))
        if (m.goneAt === undefined) this.inc({ device }, Number(m.tx));
    },
  });
  new Counter({
    name: 'traffic_agent_counted_bytes_total',
    help: 'Bytes counted by the agent since it was installed (selected interfaces), by direction.',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      this.reset();
      const s = state();
      if (!s) return;
      this.inc({ direction: 'rx' }, Number(s.totals.rx));
      this.inc({ direction: 'tx' }, Number(s.totals.tx));
    },
  });
  new Gauge({
    name: 'traffic_agent_period_bytes',
    help: 'Bytes counted in the current billing period, by direction.',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const s = state();
      if (!s) return;
      this.set({ direction: 'rx' }, Number(s.period.rx));
      this.set({ direction: 'tx' }, Number(s.period.tx));
    },
  });
  new Gauge({
    name: 'traffic_agent_period_start_timestamp_seconds',
    help: 'Start of the current billing period.',
    registers: [registry],
    collect() {
      const s = state();
      if (s) this.set(s.period.start / 1000);
    },
  });
  new Gauge({
    name: 'traffic_agent_outbox_records',
    help: 'Records waiting for at least one sink to acknowledge them.',
    registers: [registry],
    collect() {
      this.set(state()?.outbox.length ?? 0);
    },
  });
  new Counter({
    name: 'traffic_agent_deliveries_total',
    help: 'Delivery attempts by sink and result (ok, failed: will retry, rejected: refused by the receiver).',
    labelNames: ['sink', 'result'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, h] of source.dispatcher.health) {
        for (const result of ['ok', 'failed', 'rejected'] as const) this.inc({ sink, result }, h.attempts[result]);
      }
    },
  });
  new Counter({
    name: 'traffic_agent_duplicates_acknowledged_total',
    help: 'Records a receiver already had when they were sent again (a lost response, then a resend).',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [sink, h] of source.dispatcher.health) this.inc({ sink }, h.duplicates);
    },
  });
  new Gauge({
    name: 'traffic_agent_last_delivery_timestamp_seconds',
    help: 'When each sink last acknowledged a delivery.',
    labelNames: ['sink'],
    registers: [registry],
    collect() {
      for (const [sink, at] of Object.entries(state()?.lastDelivery ?? {})) this.set({ sink }, at / 1000);
    },
  });
  new Counter({
    name: 'traffic_agent_detected_total',
    help: 'What the accounting detected, by kind: reboot, reset, wrap, suspicious (increase beyond maxRateBitsPerSec), proxy_restart.',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      const d = state()?.detected;
      if (!d) return;
      this.inc({ kind: 'reboot' }, d.reboots);
      this.inc({ kind: 'reset' }, d.resets);
      this.inc({ kind: 'wrap' }, d.wraps);
      this.inc({ kind: 'suspicious' }, d.suspicious);
      this.inc({ kind: 'proxy_restart' }, d.proxyRestarts);
    },
  });
  new Counter({
    name: 'traffic_agent_panel_lost_responses_total',
    help: 'Panel pushes whose answer was lost after the request went out, by what the agent did (panel.retryLostResponse): retried or assumed_delivered. Restarts from zero on reload.',
    labelNames: ['action'],
    registers: [registry],
    collect() {
      this.reset();
      const lost = source.dispatcher.activeSinks.find((s) => s.name === 'panel')?.stats().lostResponses;
      if (!lost) return;
      this.inc({ action: 'retried' }, lost.retried);
      this.inc({ action: 'assumed_delivered' }, lost.assumedDelivered);
    },
  });
  new Gauge({
    name: 'traffic_agent_state_writable',
    help: '1 when the last state write succeeded, 0 while counting goes on in memory only.',
    registers: [registry],
    collect() {
      this.set(source.ledger.diskOk ? 1 : 0);
    },
  });
  return registry;
}
