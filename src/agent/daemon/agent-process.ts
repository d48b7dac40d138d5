/** Builds an agent runtime from a config file: the shared start of `once` and `run`. */
import { loadConfig } from '../config/load-config.js';
import type { AgentConfig } from '../config/schema.js';
import { createLogger, type Logger } from '../logger.js';
import type { HeartbeatExtras } from '../sinks/collector-heartbeat-sink.js';
import { StateStore } from '../state/state-store.js';
import { AGENT_VERSION } from '../version.js';
import { accountingSettings } from './accounting-settings.js';
import { AgentRuntime } from './agent-runtime.js';
import { buildSinks } from './build-sinks.js';
import { HostFactsCache } from './host-facts-cache.js';
import { proxyReaderFor } from './proxy-reader.js';
import { takeSample, type SampleOutcome } from './sampler.js';

export interface AgentProcess {
  cfg: AgentConfig;
  logger: Logger;
  runtime: AgentRuntime;
  hostFacts: HostFactsCache;
  readSample: () => Promise<SampleOutcome>;
  /** Applies a new config (SIGHUP): returns the old sinks so the caller can close them. */
  apply(cfg: AgentConfig): void;
}

export function openAgentProcess(configFile: string, logLevel?: string): AgentProcess {
  const cfg = loadConfig(configFile);
  const logger = createLogger((logLevel ?? cfg.log.level) as never);
  const hostFacts = new HostFactsCache(logger);
  let current = cfg;
  let proxy = proxyReaderFor(cfg);
  const extras = (): HeartbeatExtras => ({
    load: runtime.lastLoad,
    uptimeSec: runtime.lastUptimeSec,
    bootId: runtime.state?.boot.bootId ?? null,
    agentVersion: AGENT_VERSION,
    host: hostFacts.facts,
  });
  const runtime = new AgentRuntime(cfg, accountingSettings(cfg), buildSinks(cfg, extras, logger), {
    store: new StateStore(cfg.stateDir),
    logger,
    now: Date.now,
  });
  const proc: AgentProcess = {
    get cfg() {
      return current;
    },
    logger,
    runtime,
    hostFacts,
    readSample: () => takeSample(current, Date.now, proxy),
    apply(next: AgentConfig) {
      current = next;
      proxy = proxyReaderFor(next);
      logger.level = logLevel ?? next.log.level;
      const old = runtime.reconfigure(next, accountingSettings(next), buildSinks(next, extras, logger));
      for (const s of old) void s.close();
    },
  };
  return proc;
}
