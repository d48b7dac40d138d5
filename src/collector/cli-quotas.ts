/**
 * `traffic-collector quota add|list|remove` and `pool add|list|remove|add-node|remove-node` (yargs). Same checks as
 * the admin API (quota/quota-input.ts); JSON on stdout.
 */
import type { Argv, CommandModule } from 'yargs';
import { isValidTimeZone } from '../common/calendar.js';
import type { CollectorConfig } from './config.js';
import { CollectorError } from './errors.js';
import { MEASURES, parseBytes } from './quota/quota-math.js';
import { checkQuota } from './quota/quota-input.js';
import { quotaReports, quotaView } from './quota/quota-status.js';
import type { Store } from './store/store.js';

export interface CliHelpers {
  config(argv: Record<string, unknown>): CollectorConfig;
  withStore<T>(argv: Record<string, unknown>, fn: (store: Store) => Promise<T>): Promise<T>;
  print(v: unknown): void;
  usage(message: string): Error;
  positiveId(v: unknown, what: string): number;
}

function isoOrMs(v: string, usage: (m: string) => Error): number {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw usage(`--cycle-start: "${v}" is neither unix ms nor an ISO date`);
  return ms;
}

/** A CollectorError from the shared checks is a usage problem on the command line. */
/** `<pool> <node>` of the pool membership commands. */
const poolNodeArgs = <T>(p: Argv<T>) =>
  p
    .positional('pool', { type: 'string', describe: 'The pool id' })
    .positional('node', { type: 'string', describe: 'The node id' });

function poolNodeIds(h: CliHelpers, argv: { pool?: string; node?: string }): { pool: number; node: number } {
  return { pool: h.positiveId(argv.pool, 'pool id'), node: h.positiveId(argv.node, 'node id') };
}

async function asUsage<T>(h: CliHelpers, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CollectorError) throw h.usage(err.message);
    throw err;
  }
}

export function quotaCommand(h: CliHelpers): CommandModule {
  return {
    command: 'quota',
    describe: 'Manage transfer quotas (per node or per pool) and their alert thresholds',
    builder: (y: Argv) =>
      y
        .command(
          'add',
          'Add a quota; prints it with its usage now',
          (q) =>
            q
              .option('node', { type: 'number', describe: 'Node id (or --pool)' })
              .option('pool', { type: 'number', describe: 'Pool id (or --node)' })
              .option('limit', { type: 'string', demandOption: true, describe: 'Bytes: 1000000, 200GB, 1TB, 1.5TiB' })
              .option('measure', {
                choices: MEASURES,
                default: 'sum',
                describe: 'What is billed: rx, tx, sum, or max (the larger direction)',
              })
              .option('thresholds', { type: 'string', default: '80,90,100', describe: 'Percentages that alert' })
              .option('cycle-days', { type: 'number', describe: 'Custom cycle: every N days (with --cycle-start)' })
              .option('cycle-start', { type: 'string', describe: 'Custom cycle start: ISO date or unix ms' })
              .option('channel', { type: 'string', array: true, describe: 'Alert channel name (repeat; default all)' }),
          async (argv) => {
            let limit: bigint;
            try {
              limit = parseBytes(argv.limit);
            } catch (err) {
              throw h.usage(`--limit: ${(err as Error).message}`);
            }
            const thresholds = argv.thresholds.split(',').map((t) => Number(t.trim()));
            const cfg = h.config(argv);
            const q = await asUsage(h, async () =>
              checkQuota(
                {
                  nodeId: argv.node ?? null,
                  poolId: argv.pool ?? null,
                  limit,
                  measure: argv.measure,
                  thresholds,
                  cycleDays: argv['cycle-days'] ?? null,
                  cycleStart: argv['cycle-start'] === undefined ? null : isoOrMs(argv['cycle-start'], h.usage),
                  channels: argv.channel ?? [],
                },
                cfg.alertChannels.map((c) => c.name),
                Date.now(),
              ),
            );
            h.print(
              await h.withStore(argv, async (s) => {
                const added = await asUsage(h, () => s.quotas.addQuota(q));
                const r = (await quotaReports(s, Date.now())).find((x) => x.quota.id === added.id);
                return r ? quotaView(r) : { id: added.id };
              }),
            );
          },
        )
        .command(
          'list',
          'List quotas with usage, percent and projection',
          (q) => q,
          async (argv) => {
            h.print(await h.withStore(argv, async (s) => (await quotaReports(s, Date.now())).map(quotaView)));
          },
        )
        .command(
          'remove <id>',
          'Remove a quota (its alert history stays)',
          (q) => q.positional('id', { type: 'string', describe: 'The quota id' }),
          async (argv) => {
            const id = h.positiveId(argv.id, 'quota id');
            if (!(await h.withStore(argv, (s) => s.quotas.removeQuota(id)))) throw new Error(`no quota ${id}`);
            h.print({ id, removed: true });
          },
        )
        .demandCommand(1, 'quota: add, list or remove'),
    handler: () => undefined,
  };
}

export function poolCommand(h: CliHelpers): CommandModule {
  return {
    command: 'pool',
    describe: 'Manage pools: named sets of nodes sharing one quota',
    builder: (y: Argv) =>
      y
        .command(
          'add',
          'Add a pool; prints it',
          (p) =>
            p
              .option('name', { type: 'string', demandOption: true, describe: 'The pool name (unique)' })
              .option('reset-day', { type: 'number', default: 1, describe: 'Day of month (1-31) its period starts' })
              .option('timezone', { type: 'string', default: 'UTC', describe: 'IANA zone of its period' }),
          async (argv) => {
            const resetDay = argv['reset-day'];
            if (!Number.isInteger(resetDay) || resetDay < 1 || resetDay > 31)
              throw h.usage('--reset-day must be an integer 1-31');
            if (!isValidTimeZone(argv.timezone)) throw h.usage(`--timezone: unknown IANA time zone "${argv.timezone}"`);
            if (!argv.name.trim() || argv.name.length > 255) throw h.usage('--name must be 1-255 characters');
            h.print(
              await h.withStore(argv, (s) =>
                asUsage(h, () =>
                  s.quotas.addPool({ name: argv.name, resetDay, timezone: argv.timezone, createdAt: Date.now() }),
                ),
              ),
            );
          },
        )
        .command(
          'list',
          'List pools with their node ids',
          (p) => p,
          async (argv) => {
            h.print(await h.withStore(argv, (s) => s.quotas.listPools()));
          },
        )
        .command(
          'remove <id>',
          'Remove a pool and its quotas (the nodes stay)',
          (p) => p.positional('id', { type: 'string', describe: 'The pool id' }),
          async (argv) => {
            const id = h.positiveId(argv.id, 'pool id');
            if (!(await h.withStore(argv, (s) => s.quotas.removePool(id)))) throw new Error(`no pool ${id}`);
            h.print({ id, removed: true });
          },
        )
        .command('add-node <pool> <node>', 'Put a node in a pool', poolNodeArgs, async (argv) => {
          const { pool, node } = poolNodeIds(h, argv);
          const added = await h.withStore(argv, (s) => asUsage(h, () => s.quotas.addPoolNode(pool, node)));
          h.print({ poolId: pool, nodeId: node, added });
        })
        .command('remove-node <pool> <node>', 'Take a node out of a pool', poolNodeArgs, async (argv) => {
          const { pool, node } = poolNodeIds(h, argv);
          const removed = await h.withStore(argv, (s) => s.quotas.removePoolNode(pool, node));
          h.print({ poolId: pool, nodeId: node, removed });
        })
        .demandCommand(1, 'pool: add, list, remove, add-node or remove-node'),
    handler: () => undefined,
  };
}
