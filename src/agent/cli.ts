/** The `traffic-agent` command line. Each command's work lives in its own module; this file only wires yargs. */
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { AGENT_ERRORS, AgentError, errorMessage } from './errors.js';
import { installCommand } from '../ops/install-command.js';
import { cliParser } from '../common/cli-help.js';
import { AGENT_VERSION } from './version.js';

const withConfig = (y: Argv) =>
  y
    .option('config', {
      alias: 'c',
      type: 'string',
      demandOption: true,
      describe: 'The agent configuration (JSON)',
      normalize: true,
    })
    .option('log-level', {
      type: 'string',
      choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      describe: 'Overrides log.level of the configuration',
    });

const withJson = (y: Argv) =>
  withConfig(y).option('json', { type: 'boolean', default: false, describe: 'Machine-readable output (JSON)' });

function fail(err: unknown): never {
  if (err instanceof AgentError) {
    process.stderr.write(`traffic-agent: ${err.code}: ${err.message}\n${err.details.map((d) => `  ${d}\n`).join('')}`);
    process.exit(err.exitCode || 1);
  }
  // Not an AgentError: a bug. The stack is what a report needs.
  process.stderr.write(
    `traffic-agent: INTERNAL: ${err instanceof Error ? (err.stack ?? err.message) : errorMessage(err)}\n`,
  );
  process.exit(AGENT_ERRORS.INTERNAL.exit);
}

async function main(): Promise<void> {
  await cliParser(hideBin(process.argv))
    .scriptName('traffic-agent')
    .usage(
      "$0 <command> [options]\n\nCounts a node's interface (and per-user) traffic exactly and delivers it to a collector.",
    )
    .command('run', 'Run the agent daemon', withConfig, async (a) => {
      // A daemon that wakes once a tick: one GC once it runs (daemon-heap.ts; its V8 flags: v8-flags.ts).
      const { startGarbageCollector } = await import('./daemon/daemon-heap.js');
      const collectStartGarbage = startGarbageCollector();
      // The single executable drops its executable's idle start-up pages (resident-pages.ts).
      const { scheduleDropPages } = await import('./daemon/resident-pages.js');
      // Each command loads only what it needs: the daemon's memory is what an operator sees on every node.
      const { runDaemon } = await import('./daemon/run-daemon.js');
      const { startAgentMetrics, stopAgentMetrics } = await import('./metrics/agent-metrics-server.js');
      const code = await runDaemon(a.config, a['log-level'], {
        onStart: startAgentMetrics,
        onRunning: (proc) =>
          void setImmediate(() => {
            try {
              collectStartGarbage();
            } finally {
              scheduleDropPages(proc.logger);
            }
          }),
        onReload: startAgentMetrics,
        onStop: stopAgentMetrics,
      }).catch(fail);
      process.exit(code);
    })
    .command('once', 'One tick: sample, account, persist, deliver what is pending, exit', withConfig, async (a) => {
      const { runOnce } = await import('./daemon/run-once.js');
      const code = await runOnce(a.config, a['log-level']).catch(fail);
      process.exit(code);
    })
    .command('sample', 'Show what the agent sees now (no state change)', withJson, async (a) => {
      const { sampleCommand } = await import('./commands/sample.js');
      await sampleCommand(a.config, a.json).catch(fail);
    })
    .command(
      'status',
      'Show local totals, period totals, pending records and the last delivery',
      withJson,
      async (a) => {
        const { statusCommand } = await import('./commands/status.js');
        await statusCommand(a.config, a.json).catch(fail);
      },
    )
    .command(
      'report',
      "Show this node's traffic per hour (48 h), day (62 days), month (24 months) and its top 10 days, like vnstat",
      (y) =>
        withJson(y)
          .option('hours', { alias: 'h', type: 'boolean', describe: 'Per hour only' })
          .option('days', { alias: 'd', type: 'boolean', describe: 'Per day only' })
          .option('months', { alias: 'm', type: 'boolean', describe: 'Per month only' })
          .option('top', { alias: 't', type: 'boolean', describe: 'The 10 biggest days only' }),
      async (a) => {
        const { reportCommand } = await import('./commands/report.js');
        const only = (['hours', 'days', 'months', 'top'] as const).filter((k) => a[k]);
        await reportCommand(a.config, only, a.json).catch(fail);
      },
    )
    .command(
      'check-config',
      'Validate the configuration; exit 1 listing every problem by its key path',
      withConfig,
      async (a) => {
        const { checkConfigCommand } = await import('./commands/check-config.js');
        process.exit(checkConfigCommand(a.config));
      },
    )
    .command(
      'reload',
      "Reload a running daemon's configuration (the unit's ExecReload): sends it SIGHUP and waits until it has " +
        'reloaded; exits 1 when it refused the new config (it keeps the old one) or did not answer in time',
      (y) =>
        y
          .option('pid', { type: 'number', demandOption: true, describe: "The daemon's process id ($MAINPID)" })
          .option('timeout-sec', {
            type: 'number',
            describe: 'How long to wait for the daemon to finish reloading (default: 10)',
          }),
      async (a) => {
        const { reloadCommand } = await import('../ops/reload-command.js');
        process.exit(await reloadCommand({ pid: a.pid, timeoutSec: a['timeout-sec'] }));
      },
    )
    .command(installCommand('agent'))
    .demandCommand(1, 'Name a command (see --help)')
    .strict()
    .help()
    .version(AGENT_VERSION)
    .parseAsync();
}

void main();
