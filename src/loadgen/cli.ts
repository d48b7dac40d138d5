/**
 * traffic-loadgen: simulated agents against a running collector.
 *   node dist/loadgen/cli.js --url http://127.0.0.1:8080 --nodes nodes.json --rounds 20 --concurrency 50 [--seed N]
 * nodes.json: [{"id":1,"token":"…"}, …] as `traffic-collector node add` printed them. Prints one JSON summary line.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runLoad } from './run-load.js';
import { seedFrom } from './rng.js';
import type { SimNode } from './sim-agent.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    nodes: { type: 'string' },
    rounds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '50' },
    users: { type: 'string', default: '5' },
    seed: { type: 'string' },
  },
});

function positive(name: string, v: string | undefined): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`--${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

try {
  if (!values.url || !values.nodes)
    throw new Error('usage: --url URL --nodes nodes.json [--rounds N] [--concurrency N] [--users N] [--seed N]');
  const nodes = JSON.parse(readFileSync(values.nodes, 'utf8')) as SimNode[];
  const seed = seedFrom(values.seed);
  const r = await runLoad({
    baseUrl: values.url,
    nodes,
    seed,
    rounds: positive('rounds', values.rounds),
    concurrency: positive('concurrency', values.concurrency),
    usersPerNode: positive('users', values.users),
  });
  const { agents: _a, ...summary } = r;
  process.stdout.write(`${JSON.stringify({ seed, ...summary })}\n`);
  process.exit(r.errors > 0 ? 1 : 0);
} catch (err) {
  process.stderr.write(`traffic-loadgen: ${(err as Error).message}\n`);
  process.exit(2);
}
