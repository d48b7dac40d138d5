/**
 * The `install` subcommand, shared by both CLIs:
 *   yargs(...).command(installCommand('agent'))      in src/agent/cli.ts
 *   yargs(...).command(installCommand('collector'))  in src/collector/cli.ts
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';
import { isSea, seaText } from '../agent/sea/sea-assets.js';
import { applyInstall, formatPlan, planInstall, SERVICE_NAMES, type InstallKind } from './install.js';
import { errorMessage } from '../common/error-message.js';

export interface InstallArgs {
  prefix: string;
  'dry-run': boolean;
  force: boolean;
  'node-id'?: string;
  token?: string;
  'collector-url'?: string;
}

export interface InstallCommandDeps {
  /** Where config.example.json and systemd/ are: by default two levels above this module (dist/ops/ or src/ops/). */
  packageRoot?: string;
  isRoot?: () => boolean;
  out?: (text: string) => void;
}

export const DEFAULT_PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const CONFIG_TEMPLATES: Readonly<Record<InstallKind, string>> = Object.freeze({
  agent: 'config.example.json',
  collector: 'collector.example.json',
});

/** Where the agent's unit expects the program: the .deb's single executable. */
export const PACKAGED_AGENT_BINARY = '/usr/bin/traffic-agent';

/**
 * The agent unit as shipped runs /usr/bin/traffic-agent (the .deb). Installed by hand it runs what is installing it:
 * the single executable where it is, or this Node with the npm package's launcher.
 */
export function agentUnitFor(unit: string, launcher: readonly string[]): string {
  const words = launcher.map((w) => (/[\s"'\\]/.test(w) ? JSON.stringify(w) : w)).join(' ');
  return unit.split(`${PACKAGED_AGENT_BINARY} `).join(`${words} `);
}

function readTemplate(root: string, file: string): string {
  // The single executable carries the agent's two templates (no package folder beside it).
  if (isSea()) return seaText(file.replace(/^.*\//, ''));
  const path = join(root, file);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`install: cannot read the template ${path} shipped with the package: ${errorMessage(err)}`);
  }
}

export function installCommand(kind: InstallKind, deps: InstallCommandDeps = {}): CommandModule<object, InstallArgs> {
  const name = SERVICE_NAMES[kind];
  const packageRoot = deps.packageRoot ?? DEFAULT_PACKAGE_ROOT;
  const isRoot = deps.isRoot ?? (() => process.getuid?.() === 0);
  const out = deps.out ?? ((text: string) => process.stdout.write(text));
  return {
    command: 'install',
    describe: `Install the ${name} systemd unit, config and state directory`,
    builder: (y: Argv<object>): Argv<InstallArgs> => {
      let b = y
        .option('prefix', { type: 'string', default: '/', describe: 'Root to install under (a staging tree or image)' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'Print what would be done, change nothing' })
        .option('force', { type: 'boolean', default: false, describe: 'Replace an existing config and secret file' });
      if (kind === 'agent') {
        b = b
          .option('node-id', { type: 'string', describe: 'The node id `traffic-collector node add` printed (node.id)' })
          .option('token', {
            type: 'string',
            describe: 'The node token (written to a 0600 credential file, not the config)',
          })
          .option('collector-url', {
            type: 'string',
            describe: 'The collector URL, e.g. https://collector.example:8443 (collector.url)',
          });
      }
      return b as Argv<InstallArgs>;
    },
    handler: (argv) => {
      const prefix = resolve(argv.prefix);
      const dryRun = argv['dry-run'];
      if (!dryRun && prefix === '/' && !isRoot()) {
        throw new Error(
          `install: writing under / needs root: run it with sudo, or give --prefix DIR to stage it, or --dry-run to see the plan`,
        );
      }
      const plan = planInstall({
        kind,
        prefix,
        nodeId: argv['node-id'],
        token: argv.token,
        collectorUrl: argv['collector-url'],
        force: argv.force,
        configTemplate: readTemplate(packageRoot, CONFIG_TEMPLATES[kind]),
        unitTemplate:
          kind === 'agent'
            ? agentUnitFor(
                readTemplate(packageRoot, join('systemd', `${name}.service`)),
                isSea() ? [process.execPath] : [process.execPath, join(packageRoot, 'bin', 'traffic-agent.js')],
              )
            : readTemplate(packageRoot, join('systemd', `${name}.service`)),
      });
      if (dryRun) {
        out(formatPlan(plan));
        return;
      }
      const report = applyInstall(plan);
      out(`${[...report, 'next:', ...plan.next.map((n) => `  ${n}`), ...plan.warnings].join('\n')}\n`);
    },
  };
}
