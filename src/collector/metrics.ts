/** Prometheus metrics of one app instance, in its own Registry (several apps in one process do not collide). */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface CollectorMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  ingestRecords: Counter;
  duplicates: Counter;
  userRows: Counter;
  conflicts: Counter<'kind'>;
  unverifiedDuplicates: Counter<'kind'>;
  nodesOnline: Gauge;
  alertsFired: Counter<'kind'>;
  alertsDelivered: Counter<'channel'>;
  alertsFailed: Counter<'channel'>;
  liveStreams: Gauge;
  liveStreamsRefused: Counter;
  liveStreamsCut: Counter;
}

export function createMetrics(countOnline: () => Promise<number>, defaults = false): CollectorMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'traffic_collector_' });
  return {
    registry,
    requests: new Counter({
      name: 'traffic_collector_http_requests_total',
      help: 'HTTP requests answered',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    ingestRecords: new Counter({
      name: 'traffic_collector_ingest_records_total',
      help: 'Heartbeat records stored (new)',
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'traffic_collector_duplicate_records_total',
      help: 'Heartbeat records acknowledged again and dropped as duplicates',
      registers: [registry],
    }),
    userRows: new Counter({
      name: 'traffic_collector_user_rows_total',
      help: 'Per-user traffic rows applied from pushes',
      registers: [registry],
    }),
    conflicts: new Counter({
      name: 'traffic_collector_record_conflicts_total',
      help: 'Resends refused with TC_RECORD_CONFLICT: a seq or push key held with different contents (kind=record|push)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    unverifiedDuplicates: new Counter({
      name: 'traffic_collector_unverified_duplicates_total',
      help: 'Resends acknowledged as duplicates whose stored digest was already pruned, so contents were not compared',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    alertsFired: new Counter({
      name: 'traffic_collector_alerts_fired_total',
      help: 'Alerts written to the ledger (each once per rule, node or pool, period and threshold)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    alertsDelivered: new Counter({
      name: 'traffic_collector_alerts_delivered_total',
      help: 'Alert deliveries answered with a 2xx',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    alertsFailed: new Counter({
      name: 'traffic_collector_alerts_failed_total',
      help: 'Alert delivery attempts that failed (refused, timed out, non-2xx); each is retried with backoff',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
    liveStreams: new Gauge({
      name: 'traffic_collector_live_streams',
      help: 'Open live-update streams (GET /api/v1/live, Server-Sent Events)',
      registers: [registry],
    }),
    liveStreamsRefused: new Counter({
      name: 'traffic_collector_live_streams_refused_total',
      help: 'Live-update streams refused with 503 TC_STREAMS_FULL (liveMaxStreams open already)',
      registers: [registry],
    }),
    liveStreamsCut: new Counter({
      name: 'traffic_collector_live_streams_cut_total',
      help: 'Live-update streams closed by the collector because the client stopped reading',
      registers: [registry],
    }),
    nodesOnline: new Gauge({
      name: 'traffic_collector_nodes_online',
      help: 'Nodes seen within the offline threshold',
      registers: [registry],
      async collect() {
        this.set(await countOnline());
      },
    }),
  };
}
