/**
 * The sinks a config asks for. The collector's heartbeat always; the per-user push to the collector when
 * per-user traffic is on; the push to a V2Board / Xboard panel when panel.url is set.
 */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/schema.js';
import { CollectorHeartbeatSink } from '../sinks/collector-heartbeat-sink.js';
import { CollectorUserPushSink } from '../sinks/collector-user-push-sink.js';
import { PanelPushSink } from '../sinks/panel-push-sink.js';
import type { Sink } from '../sinks/sink.js';

/** Per-user pushes are one request per record: a long backlog is sent this many at a time. */
export const USER_PUSH_BATCH = 50;

export function buildSinks(cfg: AgentConfig, logger: Logger): Sink[] {
  const sinks: Sink[] = [
    new CollectorHeartbeatSink({
      url: cfg.collector.url,
      token: cfg.node.token,
      timeoutMs: cfg.collector.timeoutMs,
      batchSize: cfg.collector.batchSize,
      everyMs: cfg.heartbeatIntervalSec * 1000,
    }),
  ];
  if (cfg.userTraffic.enabled) {
    sinks.push(
      new CollectorUserPushSink({
        url: cfg.collector.url,
        nodeId: cfg.node.id,
        nodeType: cfg.panel.nodeType,
        token: cfg.node.token,
        timeoutMs: cfg.collector.timeoutMs,
        batchSize: USER_PUSH_BATCH,
      }),
    );
  }
  const { panel } = cfg;
  if (panel.url !== null && panel.nodeId !== null) {
    sinks.push(
      new PanelPushSink({
        url: panel.url,
        token: panel.token,
        nodeId: panel.nodeId,
        nodeType: panel.nodeType,
        retryLostResponse: panel.retryLostResponse,
        timeoutMs: panel.timeoutMs,
        batchSize: USER_PUSH_BATCH,
        logger,
      }),
    );
  }
  return sinks;
}
