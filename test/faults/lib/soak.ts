/**
 * The soak: N simulated agents (src/loadgen) against one real collector on SQLite for a fixed number of rounds.
 * The collector's RSS is read from /proc/<pid>/status after every round; at the end its per-node and per-user
 * totals are compared with what the simulated agents generated.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/collector/store/open-store.js';
import { generateToken, hashToken } from '../../../src/collector/tokens.js';
import { runLoad, type LoadResult } from '../../../src/loadgen/run-load.js';
import type { SimNode } from '../../../src/loadgen/sim-agent.js';
import { freePort } from '../../support/free-port.js';
import { CollectorProcess } from './collector-control.js';
import { compareTotals, type Comparison } from './compare.js';

export interface SoakOptions {
  agents: number;
  rounds: number;
  concurrency: number;
  seed: number;
  usersPerNode?: number;
  log?: (s: string) => void;
}

export interface SoakReport {
  seed: number;
  ok: boolean;
  load: Omit<LoadResult, 'agents'>;
  rssKb: number[];
  rss: { first: number; last: number; max: number };
  comparison: Comparison;
  diagnosis: string;
}

/** Registers nodes straight in the store, as `traffic-collector node add` does (one process instead of N). */
async function provision(db: string, n: number): Promise<SimNode[]> {
  const store = await openStore(db);
  try {
    const out: SimNode[] = [];
    for (let i = 1; i <= n; i++) {
      const token = generateToken();
      const node = await store.addNode({
        name: `sim-${i}`,
        tokenHash: hashToken(token),
        rate: '1',
        resetDay: 1,
        timezone: 'UTC',
        createdAt: Date.now(),
      });
      out.push({ id: node.id, token });
    }
    return out;
  } finally {
    await store.close();
  }
}

export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? (() => undefined);
  const t0 = Date.now();
  const dir = await mkdtemp(join(tmpdir(), 'ta-soak-'));
  const db = join(dir, 'collector.db');
  const collector = new CollectorProcess('collector', await freePort(), db, 'soak-admin-token-0123456789', dir, {
    logLevel: 'warn',
  });
  const rssKb: number[] = [];
  let comparison: Comparison = { ok: false, lines: [], mismatches: ['not compared'] };
  let load: LoadResult | null = null;
  try {
    const nodes = await provision(db, opts.agents);
    await collector.up();
    rssKb.push(collector.rssKb() ?? 0);
    load = await runLoad({
      baseUrl: collector.url,
      nodes,
      rounds: opts.rounds,
      concurrency: opts.concurrency,
      seed: opts.seed,
      usersPerNode: opts.usersPerNode ?? 5,
      onRound: (round, s) => {
        const rss = collector.rssKb() ?? 0;
        rssKb.push(rss);
        log(
          `  round ${round}: ${s.heartbeats} heartbeats in ${s.seconds.toFixed(2)} s, ${s.errors} errors, collector RSS ${(rss / 1024).toFixed(1)} MB`,
        );
      },
    });
    comparison = await compareTotals(
      collector,
      load.agents.map((a) => ({
        id: a.node.id,
        truth: a.truth,
        users: new Map([...a.userTruth].map(([u, t]) => [String(u), { up: t.u, down: t.d }])),
      })),
      t0,
    );
  } catch (err) {
    comparison = { ok: false, lines: [], mismatches: [`soak aborted: ${(err as Error).stack ?? String(err)}`] };
  } finally {
    await collector.stop(5000).catch(() => undefined);
  }
  const { agents: _a, ...summary } =
    load ??
    ({
      agents: [],
      heartbeats: 0,
      pushes: 0,
      errors: 0,
      firstErrors: [],
      duplicates: 0,
      resent: 0,
      heartbeatsPerSec: 0,
      p50Ms: 0,
      p99Ms: 0,
      maxMs: 0,
      seconds: 0,
      backlog: 0,
    } as LoadResult);
  // Round samples only: the first is taken after the first round (warm), the very first entry is the idle process.
  const rounds = rssKb.slice(1);
  const rss = { first: rounds[0] ?? 0, last: rounds[rounds.length - 1] ?? 0, max: Math.max(0, ...rounds) };
  const ok = comparison.ok && summary.errors === 0 && summary.backlog === 0;
  const diagnosis = ok
    ? ''
    : [
        `SOAK FAILED — seed ${opts.seed}; run dir ${dir}`,
        `errors ${summary.errors} (first: ${summary.firstErrors.join(' | ')}), backlog ${summary.backlog}`,
        ...comparison.mismatches.slice(0, 50),
        `--- tail of the collector (${collector.logFile}):\n${collector.tailText(30)}`,
      ].join('\n');
  if (ok) await rm(dir, { recursive: true, force: true });
  return { seed: opts.seed, ok, load: summary, rssKb, rss, comparison, diagnosis };
}

export function formatSoak(title: string, r: SoakReport, agents: number, rounds: number): string {
  const l = r.load;
  const mb = (kb: number) => `${(kb / 1024).toFixed(1)} MB`;
  return [
    `${title}: ${r.ok ? 'EXACT' : 'FAILED'} (seed ${r.seed}) ${agents} agents x ${rounds} rounds: ${l.heartbeats} heartbeats + ${l.pushes} push rounds in ${l.seconds.toFixed(1)} s`,
    `  ${l.heartbeatsPerSec.toFixed(0)} heartbeats/s, latency p50 ${l.p50Ms.toFixed(1)} ms, p99 ${l.p99Ms.toFixed(1)} ms, max ${l.maxMs.toFixed(1)} ms; errors ${l.errors}; resent ${l.resent}, duplicates answered ${l.duplicates}`,
    `  collector RSS first ${mb(r.rss.first)}, last ${mb(r.rss.last)}, max ${mb(r.rss.max)} (idle before load ${mb(r.rssKb[0] ?? 0)})`,
    `  totals: ${r.comparison.ok ? `all ${agents} nodes and their users exact` : r.comparison.mismatches.slice(0, 10).join('\n  ')}`,
  ].join('\n');
}
