/**
 * Drives many simulated agents against one collector in rounds: in each round every agent counts one interval and
 * delivers it (heartbeat, then its per-user pushes), at most `concurrency` agents at a time. After each round a
 * hook runs (the soak samples the collector's memory there). Returns throughput, latency percentiles, errors and
 * every agent's ground truth.
 */
import { Agent } from 'undici';
import { createRng } from './rng.js';
import { SimAgent, type SimNode } from './sim-agent.js';

export interface LoadOptions {
  baseUrl: string;
  nodes: SimNode[];
  rounds: number;
  concurrency: number;
  seed: number;
  usersPerNode?: number;
  resendChance?: number;
  timeoutMs?: number;
  onRound?: (round: number, stats: RoundStats) => Promise<void> | void;
}

export interface RoundStats {
  round: number;
  heartbeats: number;
  errors: number;
  seconds: number;
}

export interface LoadResult {
  heartbeats: number;
  pushes: number;
  errors: number;
  firstErrors: string[];
  duplicates: number;
  resent: number;
  /** Heartbeats per second over the time spent in rounds. */
  heartbeatsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  seconds: number;
  /** Records still unacknowledged at the end (0 after a clean run). */
  backlog: number;
  agents: SimAgent[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function pool<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) await fn(items[i++]);
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  if (opts.rounds < 1 || opts.concurrency < 1)
    throw new RangeError('runLoad: rounds and concurrency must be at least 1');
  const rng = createRng(opts.seed);
  const dispatcher = new Agent({ connections: opts.concurrency, keepAliveTimeout: 30_000, pipelining: 1 });
  const agents = opts.nodes.map(
    (n) =>
      new SimAgent(n, {
        baseUrl: opts.baseUrl,
        dispatcher,
        rng,
        users: opts.usersPerNode ?? 5,
        resendChance: opts.resendChance ?? 0.02,
        timeoutMs: opts.timeoutMs ?? 10_000,
      }),
  );
  const latencies: number[] = [];
  let heartbeats = 0;
  let pushes = 0;
  let errors = 0;
  let duplicates = 0;
  let busy = 0;
  const firstErrors: string[] = [];
  const fail = (e?: string) => {
    errors++;
    if (e && firstErrors.length < 5) firstErrors.push(e);
  };
  try {
    for (let round = 1; round <= opts.rounds; round++) {
      const t0 = performance.now();
      const errorsBefore = errors;
      await pool(agents, opts.concurrency, async (a) => {
        a.tick(Date.now());
        const hb = await a.heartbeat(Date.now());
        heartbeats++;
        latencies.push(hb.latencyMs);
        duplicates += hb.duplicates;
        if (!hb.ok) return fail(hb.error);
        const p = await a.push();
        pushes++;
        if (!p.ok) fail(p.error);
      });
      const seconds = (performance.now() - t0) / 1000;
      busy += seconds;
      await opts.onRound?.(round, { round, heartbeats: agents.length, errors: errors - errorsBefore, seconds });
    }
  } finally {
    await dispatcher.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    heartbeats,
    pushes,
    errors,
    firstErrors,
    duplicates,
    resent: agents.reduce((n, a) => n + a.resent, 0),
    heartbeatsPerSec: heartbeats / busy,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    seconds: busy,
    backlog: agents.reduce((n, a) => n + a.backlog, 0),
    agents,
  };
}
