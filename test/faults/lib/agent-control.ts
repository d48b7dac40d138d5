/**
 * The real agent binary (bin/traffic-agent.js run) for fault runs: its config, its process, and a look at its saved
 * state (state.json, else state.json.bak) to know what it has observed and whether its outbox is empty.
 */
import { readFile, truncate, stat } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertOutboxInvariants } from '../../../src/agent/outbox/outbox.js';
import { decodeState } from '../../../src/agent/state/state-codec.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';
import { Child } from './child.js';

export const AGENT_BIN = fileURLToPath(new URL('../../../bin/traffic-agent.js', import.meta.url));

export interface AgentSetup {
  nodeId: number;
  token: string;
  collectorUrl: string;
  stateDir: string;
  procRoot: string;
  statsAddress: string | null;
  dir: string;
  label: string;
  intervalSec?: number;
  /** The simulated node's counter width (default 32). */
  counterBits?: 32 | 64;
  extra?: Record<string, unknown>;
}

/** The agent's two state files, in the order it loads them. */
const FILES = ['state.json', 'state.json.bak'] as const;

/** A maximum rate that makes the driver's 32-bit wraps plausible and its 32-bit resets implausible as wraps. */
export const MAX_RATE_BITS = 1_600_000_000;

export function agentConfig(s: AgentSetup): Record<string, unknown> {
  return {
    node: { id: s.nodeId, token: s.token },
    collector: { url: s.collectorUrl, timeoutMs: 2000, batchSize: 50 },
    stateDir: s.stateDir,
    procRoot: s.procRoot,
    interfaces: { include: ['eth*'], exclude: [] },
    heartbeatIntervalSec: s.intervalSec ?? 0.25,
    counterBits: s.counterBits ?? 32,
    maxRateBitsPerSec: MAX_RATE_BITS,
    shutdownDeadlineMs: 500,
    log: { level: 'info' },
    ...(s.statsAddress
      ? { userTraffic: { enabled: true, address: s.statsAddress, api: 'v2ray', timeoutMs: 1000 } }
      : {}),
    ...s.extra,
  };
}

export class AgentProcess extends Child {
  readonly stateDir: string;

  constructor(readonly setup: AgentSetup) {
    const cfgFile = join(setup.dir, `${setup.label}.json`);
    writeFileSync(cfgFile, JSON.stringify(agentConfig(setup), null, 2));
    super(setup.label, () => [AGENT_BIN, 'run', '-c', cfgFile], join(setup.dir, `${setup.label}.log`));
    this.stateDir = setup.stateDir;
  }

  /** The state last read, to check that no record handed to a sink changes from one read to the next. */
  private lastSeen: AgentState | null = null;

  /**
   * The saved state (primary, else the good copy), or null when neither decodes. Every read checks the outbox
   * invariants (src/agent/outbox/outbox.ts), so each step of a fault run that looks at the state checks them too.
   */
  async savedState(): Promise<AgentState | null> {
    return this.checked(await this.readBoth());
  }

  /** The state the agent would load (state.json, else the good copy), its outbox invariants checked. */
  private checked([primary, backup]: (AgentState | null)[]): AgentState | null {
    const state = primary ?? backup;
    if (state === null) return null; // torn or missing, both
    assertOutboxInvariants(state, this.lastSeen);
    this.lastSeen = state;
    return state;
  }

  /** Both saved files, each decoded or null. */
  private readBoth(): Promise<(AgentState | null)[]> {
    return Promise.all(FILES.map((f) => this.decodeOne(f)));
  }

  /** One saved file decoded, or null while it is missing or torn (a read can meet an in-place write). */
  private async decodeOne(file: string): Promise<AgentState | null> {
    try {
      return decodeState(await readFile(join(this.stateDir, file), 'utf8'));
    } catch {
      return null;
    }
  }

  /**
   * Waits until BOTH saved files (state.json and its good copy) show a sample taken after `t` (and a proxy sample
   * after `t` when users are on); `also` adds a condition on each. Both, because a kill can land between the two
   * writes of a save: a truncated state.json then hands over to the good copy, one save behind, and a sim move that
   * copy never saw (a jump to just below 2^32) followed by a wrap would read, rightly, as a reset. Waiting for both
   * keeps every move unambiguous whichever file the agent restarts from.
   */
  async waitSaved(t: number, ms: number, also: (s: AgentState) => boolean = () => true): Promise<AgentState> {
    const deadline = Date.now() + ms;
    const done = (s: AgentState | null): s is AgentState =>
      s !== null &&
      s.lastSampleAt > t &&
      (!this.setup.statsAddress || (s.proxy !== null && (s.proxy?.sampledAt ?? 0) > t)) &&
      also(s);
    for (;;) {
      const both = await this.readBoth();
      this.checked(both); // the outbox invariants, on every look
      const [primary, backup] = both;
      if (done(primary) && done(backup)) return primary;
      if (!this.running)
        throw new Error(`${this.name} is not running while waiting for its state:\n${this.tailText()}`);
      if (Date.now() > deadline) {
        const seen = (s: AgentState | null) =>
          `sample ${s?.lastSampleAt}, proxy ${JSON.stringify(s?.proxy?.sampledAt)}, outbox ${s?.outbox.length}`;
        throw new Error(
          `${this.name}: no saved state after ${t} within ${ms} ms (state.json: ${seen(primary)}; state.json.bak: ${seen(backup)}):\n${this.tailText()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Cuts state.json to half its contents (the agent must be down): a torn write the agent must survive. Half of the
   * state itself, not of the file: the agent pads the file with spaces (src/agent/state/state-store.ts).
   */
  async truncateState(): Promise<number> {
    if (this.running) throw new Error('truncate the state only while the agent is down');
    const path = join(this.stateDir, 'state.json');
    const { size } = await stat(path);
    const contents = (await readFile(path, 'utf8')).trimEnd().length;
    await truncate(path, Math.floor(contents / 2));
    return size;
  }
}
