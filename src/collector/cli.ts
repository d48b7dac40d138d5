/**
 * traffic-collector CLI (yargs): `serve`, the node registry (`node add|list|rotate-token|remove`), and quotas and
 * pools (`quota …`, `pool …`, in cli-quotas.ts).
 * Registry commands print JSON on stdout; problems go to stderr with exit code 2 (usage/config) or 1 (other).
 */
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { isValidTimeZone } from '../common/calendar.js';
import { ConfigError, loadConfig, type CollectorConfig } from './config.js';
import { startServer } from './server.js';
import { installCommand } from '../ops/install-command.js';
import { reloadCommand } from '../ops/reload-command.js';
import { cliParser } from '../common/cli-help.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { generateToken, hashToken } from './tokens.js';
import { canonicalRate } from './user-push.js';
import { type CliHelpers, poolCommand, quotaCommand } from './cli-quotas.js';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CollectorError } from './errors.js';
import { makeReport } from './reports/make-report.js';
import { REPORT_FORMATS } from './reports/report-format.js';
import { REPORT_BY } from './reports/report-rows.js';

class UsageError extends Error {}

interface Common {
  config?: string;
  db?: string;
}

function config(argv: Common & Record<string, unknown>, extra: Record<string, unknown> = {}): CollectorConfig {
  return loadConfig({ file: argv.config, overrides: { db: argv.db, ...extra } });
}

/** Only `node add` (and `serve`) may create the database; every other command needs it to exist. */
async function withStore<T>(argv: Common, fn: (store: Store) => Promise<T>, create = false): Promise<T> {
  const cfg = config(argv as Common & Record<string, unknown>);
  const store = await openStore(cfg.db, { pgPoolSize: 2, create });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The admin token a --admin-token-file names: its first line, which must be a token (16+ characters). */
function adminTokenFromFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--admin-token-file: cannot read ${file}: ${(err as Error).message}`);
  }
  const token = text.split('\n')[0].trim();
  if (token.length < 16)
    throw new UsageError(`--admin-token-file: ${file} must hold a token of at least 16 characters`);
  return token;
}

const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v)}\n`);

/** A canonical decimal id (`1`, never `01`, `0x1`, `1e0`, `+1`), as the HTTP API takes it. */
function nodeId(v: unknown): number {
  const n = /^[1-9][0-9]*$/.test(String(v)) ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`node id must be a positive integer, got ${String(v)}`);
  return n;
}

const helpers: CliHelpers = {
  config: (argv) => config(argv as Common & Record<string, unknown>),
  withStore: (argv, fn) => withStore(argv as Common, fn),
  print,
  usage: (message) => new UsageError(message),
  positiveId(v, what) {
    const n = /^[1-9][0-9]*$/.test(String(v)) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, got ${String(v)}`);
    return n;
  },
};

const common = <T>(y: Argv<T>) =>
  y
    .option('config', { type: 'string', describe: 'The collector configuration (JSON)' })
    .option('db', { type: 'string', describe: 'The database: a SQLite file path or a postgres:// URL (overrides db)' });

export async function main(args: string[]): Promise<void> {
  await common(cliParser(args))
    .scriptName('traffic-collector')
    .command(
      'serve',
      'Run the collector (HTTP API, dashboard, metrics)',
      (y) =>
        y
          .option('listen', { type: 'string', describe: 'HOST:PORT to listen on (overrides listen)' })
          .option('admin-token', {
            type: 'string',
            describe:
              'Bearer token of the admin API (overrides adminToken). Discouraged: every local user sees it in ps; use TRAFFIC_COLLECTOR_ADMIN_TOKEN or --admin-token-file',
          })
          .option('admin-token-file', {
            type: 'string',
            describe: 'File holding the admin token (its first line; keep it mode 0600)',
          })
          .option('log-level', {
            type: 'string',
            choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
            describe: 'Overrides logLevel of the configuration',
          })
          .option('heartbeat-interval-sec', {
            type: 'number',
            describe:
              "The agents' heartbeat interval in seconds, shown on the dashboard; a node is offline after " +
              'offlineAfterIntervals of them (overrides heartbeatIntervalSec)',
          })
          .conflicts('admin-token', 'admin-token-file'),
      async (argv) => {
        if (argv['admin-token'] !== undefined)
          process.stderr.write(
            'traffic-collector: warning: --admin-token is visible to every local user (ps, /proc/PID/cmdline); pass it in TRAFFIC_COLLECTOR_ADMIN_TOKEN or --admin-token-file instead\n',
          );
        const flags = () => ({
          listen: argv.listen,
          adminToken: argv['admin-token'] ?? adminTokenFromFile(argv['admin-token-file']),
          heartbeatIntervalSec: argv['heartbeat-interval-sec'],
          logLevel: argv['log-level'],
        });
        const cfg = config(argv, flags());
        const server = await startServer(cfg, {
          handleSignals: true,
          reloadConfig: () => config(argv, flags()),
        });
        process.stderr.write(`traffic-collector listening on ${server.address} (${server.store.engine})\n`);
      },
    )
    .command(installCommand('collector'))
    .command(
      'reload',
      "Reload a running collector's configuration (the unit's ExecReload): sends it SIGHUP and waits until it has " +
        'reloaded; exits 1 when it refused the new config (it keeps the old one) or did not answer in time',
      (y) =>
        y
          .option('pid', { type: 'number', demandOption: true, describe: "The collector's process id ($MAINPID)" })
          .option('timeout-sec', {
            type: 'number',
            describe: 'How long to wait for the collector to finish reloading (default: 10)',
          }),
      async (argv) => {
        process.exit(
          await reloadCommand({ pid: argv.pid, timeoutSec: argv['timeout-sec'], program: 'traffic-collector' }),
        );
      },
    )
    .command(
      'report',
      'Print a billing report by node, user or user-node for a month or whole days (CSV, JSON or a table)',
      (y) =>
        y
          .option('period', { type: 'string', describe: 'A month, YYYY-MM' })
          .option('from', { type: 'string', describe: 'First day, YYYY-MM-DD (with --to)' })
          .option('to', { type: 'string', describe: 'Last day, YYYY-MM-DD (included)' })
          .option('by', {
            choices: REPORT_BY,
            default: 'node' as const,
            describe: 'One row per node, user or user per node',
          })
          .option('rate', {
            choices: ['applied', 'raw'] as const,
            default: 'applied' as const,
            describe: "Per-user bytes with the node's rate applied, as the panel bills them, or raw: as measured",
          })
          .option('user', { type: 'number', describe: "Only this user's rows (with --by user or user-node)" })
          .option('format', { choices: REPORT_FORMATS, default: 'table' as const, describe: 'Output format' })
          .option('timezone', { type: 'string', describe: "IANA zone of the days (default: the collector's timezone)" })
          .option('out', { type: 'string', describe: 'Write the report to this file instead of standard output' }),
      async (argv) => {
        const cfg = config(argv);
        await withStore(argv, async (store) => {
          const report = await makeReport(store, {
            period: argv.period,
            from: argv.from,
            to: argv.to,
            by: argv.by,
            rate: argv.rate,
            user: argv.user,
            format: argv.format,
            timezone: argv.timezone ?? cfg.timezone,
          });
          const out = argv.out ? createWriteStream(argv.out) : process.stdout;
          await pipeline(Readable.from(report.chunks), out, { end: Boolean(argv.out) });
          if (argv.out) process.stderr.write(`wrote ${report.filename.split('.').pop()} report to ${argv.out}\n`);
        });
      },
    )
    .command('node', 'Manage the node registry', (y) =>
      y
        .command(
          'add',
          'Register a node; prints {"id":N,"token":"…"}',
          (n) =>
            n
              .option('name', {
                type: 'string',
                demandOption: true,
                describe: 'Name shown on the dashboard and in rankings (unique unless --allow-duplicate-name)',
              })
              .option('allow-duplicate-name', {
                type: 'boolean',
                default: false,
                describe: 'Register the node even if another node already has this name',
              })
              .option('rate', {
                type: 'string',
                default: '1',
                describe: 'Traffic multiplier for per-user records (e.g. 1.5)',
              })
              .option('reset-day', {
                type: 'number',
                default: 1,
                describe: 'Day of the month (1-31) the billing period starts',
              })
              .option('timezone', { type: 'string', default: 'UTC', describe: 'IANA time zone of the billing period' }),
          async (argv) => {
            const resetDay = argv['reset-day'];
            if (!Number.isInteger(resetDay) || resetDay < 1 || resetDay > 31)
              throw new UsageError('--reset-day must be an integer 1-31');
            if (!isValidTimeZone(argv.timezone))
              throw new UsageError(`--timezone: unknown IANA time zone "${argv.timezone}"`);
            if (!argv.name.trim() || argv.name.length > 255) throw new UsageError('--name must be 1-255 characters');
            let rate: string;
            try {
              rate = canonicalRate(argv.rate);
            } catch (err) {
              throw new UsageError(`--${(err as Error).message}`);
            }
            const token = generateToken();
            const node = await withStore(
              argv,
              async (s) => {
                const name = argv.name.trim();
                const same = (await s.listNodes()).find((n) => n.name.trim().toLowerCase() === name.toLowerCase());
                if (same && !argv['allow-duplicate-name'])
                  throw new UsageError(
                    `--name: node ${same.id} is already called "${same.name}"; choose another name, or give --allow-duplicate-name`,
                  );
                return s.addNode({
                  name: argv.name,
                  tokenHash: hashToken(token),
                  rate,
                  resetDay,
                  timezone: argv.timezone,
                  createdAt: Date.now(),
                });
              },
              true,
            );
            print({ id: node.id, token });
          },
        )
        .command(
          'list',
          'List nodes (no tokens)',
          (n) => n,
          async (argv) => {
            print(await withStore(argv, (s) => s.listNodes()));
          },
        )
        .command(
          'rotate-token <id>',
          'Give a node a new token; prints {"id":N,"token":"…"}',
          (n) => n.positional('id', { type: 'string', describe: 'The node id `node add` printed' }),
          async (argv) => {
            const id = nodeId(argv.id);
            const token = generateToken();
            const ok = await withStore(argv, (s) => s.rotateToken(id, hashToken(token)));
            if (!ok) throw new Error(`no node ${id}`);
            print({ id, token });
          },
        )
        .command(
          'remove <id>',
          'Remove a node and its traffic series',
          (n) => n.positional('id', { type: 'string', describe: 'The node id `node add` printed' }),
          async (argv) => {
            const id = nodeId(argv.id);
            const ok = await withStore(argv, (s) => s.removeNode(id));
            if (!ok) throw new Error(`no node ${id}`);
            print({ id, removed: true });
          },
        )
        .demandCommand(1, 'Name a node command: add, list, rotate-token or remove'),
    )
    .command(quotaCommand(helpers))
    .command(poolCommand(helpers))
    .demandCommand(1, 'Name a command (see --help)')
    .strict()
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .help()
    .parseAsync();
}

main(hideBin(process.argv)).catch((err: unknown) => {
  const usage =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err instanceof CollectorError && err.statusCode === 400);
  process.stderr.write(`traffic-collector: ${(err as Error).message}\n`);
  process.exit(usage ? 2 : 1);
});
