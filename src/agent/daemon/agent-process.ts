/**
 * The agent's working parts, built from a config file: the shared start of `once` and `run`.
 * sample (sampler) -> account and persist (ledger) -> deliver and acknowledge (dispatcher -> sinks).
 */
import { loadConfig } from '../config/load-config.js';
import type { AgentConfig } from '../config/schema.js';
import { withCode } from '../errors.js';
import { createLogger, type Logger } from '../logger.js';
import { backoffPolicyFor } from '../sinks/backoff.js';
import { StateStore } from '../state/state-store.js';
import { accountingSettings } from './accounting-settings.js';
import { buildSinks } from './build-sinks.js';
import { Dispatcher } from './dispatcher.js';
import { HostFactsCache } from './host-facts-cache.js';
import { countedInterfaces, Ledger } from './ledger.js';
import { proxyReaderFor } from './proxy-reader.js';
import { type SampleOutcome, takeSample } from './sampler.js';

export interface AgentProcess {
  readonly cfg: AgentConfig;
  readonly logger: Logger;
  readonly ledger: Ledger;
  readonly dispatcher: Dispatcher;
  readonly hostFacts: HostFactsCache;
  /** Loads the saved state and settles what was in flight when the agent last stopped. */
  open(): Promise<void>;
  /** Looks at the machine now (no state change). */
  readSample(): Promise<SampleOutcome>;
  /** Samples now, accounts the sample and saves it. Does not deliver. */
  tick(): Promise<void>;
  /** The interfaces counted under the current settings (not lo, not the excluded ones). */
  countedInterfaces(): string[];
  /**
   * Applies a new config (SIGHUP): new accounting settings, proxy reader and sinks; the state and the outbox stay.
   * The replaced sinks are closed once their requests in flight are answered.
   */
  apply(cfg: AgentConfig): void;
}

export function openAgentProcess(configFile: string, logLevel?: string): AgentProcess {
  let cfg = loadConfig(configFile);
  const logger = createLogger((logLevel ?? cfg.log.level) as never);
  const hostFacts = new HostFactsCache(logger);
  let settings = accountingSettings(cfg);
  let proxy = proxyReaderFor(cfg);
  const ledger = new Ledger({ store: new StateStore(cfg.stateDir), logger, now: Date.now });
  const dispatcher = new Dispatcher(ledger, buildSinks(cfg, logger), backoffPolicyFor(cfg.heartbeatIntervalSec), {
    logger,
    now: Date.now,
    hostFacts: () => hostFacts.facts,
  });

  const readSample = () => takeSample(cfg, Date.now, proxy);
  const tick = async () => {
    const outcome = await readSample();
    for (const p of outcome.problems) logger.warn(withCode(p.code, { details: p.details }), p.message);
    await ledger.record(outcome, {
      settings,
      maxRecords: cfg.outbox.maxRecords,
      plannedThrough: (state) => dispatcher.plannedThrough(state),
    });
  };

  return {
    get cfg() {
      return cfg;
    },
    logger,
    ledger,
    dispatcher,
    hostFacts,
    async open() {
      await ledger.open();
      await dispatcher.settleInterrupted();
    },
    readSample,
    tick,
    countedInterfaces: () => countedInterfaces(ledger.snapshot, settings),
    apply(next: AgentConfig) {
      cfg = next;
      settings = accountingSettings(next);
      proxy = proxyReaderFor(next);
      logger.level = logLevel ?? next.log.level;
      const old = dispatcher.replace(buildSinks(next, logger), backoffPolicyFor(next.heartbeatIntervalSec));
      for (const s of old) void s.close();
    },
  };
}
