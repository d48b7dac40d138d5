/**
 * npm run soak: 500 simulated agents (src/loadgen) against one collector on SQLite for a fixed number of rounds.
 * Prints heartbeats per second, latency p50/p99, the collector's RSS (first/last/max over the rounds) and whether
 * every node's and user's total is exact. TRAFFIC_SOAK_AGENTS, TRAFFIC_SOAK_ROUNDS, TRAFFIC_SOAK_CONCURRENCY,
 * TRAFFIC_FAULT_SEED override. Exit code 1 on any error, inexact total, or RSS growth over 25% after warm-up.
 */
import { seedFrom } from '../src/loadgen/rng.js';
import { formatSoak, runSoak } from '../test/faults/lib/soak.js';

const agents = Number(process.env.TRAFFIC_SOAK_AGENTS ?? 500);
const rounds = Number(process.env.TRAFFIC_SOAK_ROUNDS ?? 30);
const concurrency = Number(process.env.TRAFFIC_SOAK_CONCURRENCY ?? 50);
const seed = seedFrom(process.env.TRAFFIC_FAULT_SEED);

console.log(`npm run soak: ${agents} agents, ${rounds} rounds, concurrency ${concurrency}, seed ${seed}`);
const r = await runSoak({ agents, rounds, concurrency, seed, log: console.log });
console.log(formatSoak('soak', r, agents, rounds));
// Flat: after the first few rounds (warm-up), the later rounds stay within 25% of the warm level.
const rounds_ = r.rssKb.slice(1);
const warm = Math.max(...rounds_.slice(0, Math.max(1, Math.floor(rounds_.length / 4))));
const late = Math.max(...rounds_.slice(Math.floor(rounds_.length / 2)));
const flat = late <= warm * 1.25;
console.log(
  `  memory: warm (max of first quarter) ${(warm / 1024).toFixed(1)} MB, late (max of second half) ${(late / 1024).toFixed(1)} MB: ${flat ? 'flat' : 'GROWING'}`,
);
if (!r.ok) console.log(r.diagnosis);
process.exit(r.ok && flat ? 0 : 1);
