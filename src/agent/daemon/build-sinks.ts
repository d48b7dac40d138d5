/** The sinks a config asks for. The collector's heartbeat always; the user-traffic sinks when per-user traffic is on. */
import type { AgentConfig } from '../config/schema.js';
import type { HeartbeatExtras } from '../sinks/collector-heartbeat-sink.js';
import { CollectorHeartbeatSink } from '../sinks/collector-heartbeat-sink.js';
import type { Sink } from '../sinks/sink.js';

export function buildSinks(cfg: AgentConfig, extras: () => HeartbeatExtras): Sink[] {
  const sinks: Sink[] = [
    new CollectorHeartbeatSink({ url: cfg.collector.url, token: cfg.node.token, timeoutMs: cfg.collector.timeoutMs, batchSize: cfg.collector.batchSize, extras }),
  ];
  return sinks;
}
