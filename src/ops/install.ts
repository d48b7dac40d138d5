/**
 * `traffic-agent install` / `traffic-collector install`: lays the unit, the config, the secret
 * and the state directory out under a prefix.
 *
 * planInstall() is pure (options in, actions out), applyInstall() carries the actions out and
 * formatPlan() prints them for --dry-run.
 *
 * Layout for kind K (agent: traffic-agent, collector: traffic-collector) under <prefix>:
 *   etc/systemd/system/K.service  0644  always replaced (the package owns it)
 *   etc/K/config.json             0644  kept if present unless --force; holds no secret, since the
 *                                       unit's DynamicUser could not read a root-only file
 *   etc/K/node-token (agent)      0600  kept if present unless --force; the unit hands it to the
 *   etc/K/secrets.json (collector)      service through LoadCredential= (root reads it, not the service)
 *   var/lib/K/                    0700  systemd re-owns it for the transient user at start
 */
import { writeFileDurably } from '../common/atomic-file.js';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fillConfig } from './fill-config.js';

export type InstallKind = 'agent' | 'collector';

export interface InstallOptions {
  kind: InstallKind;
  /** Absolute path the layout goes under: '/' for a real install. */
  prefix: string;
  /** Agent only: node.id, a positive integer (given as text from the command line). */
  nodeId?: string;
  /** Agent only: the node token, written to the credential file. */
  token?: string;
  /** Agent only: collector.url. */
  collectorUrl?: string;
  /** Replace an existing config and secret file. */
  force?: boolean;
  /** Contents of config.example.json (agent) or collector.example.json (collector). */
  configTemplate: string;
  /** Contents of systemd/traffic-agent.service or systemd/traffic-collector.service. */
  unitTemplate: string;
}

export interface MkdirAction {
  type: 'mkdir';
  path: string;
  mode: number;
}

export interface WriteAction {
  type: 'write';
  path: string;
  mode: number;
  contents: string;
  /** 'keep': leave an existing file alone (config and secrets without --force). */
  existing: 'replace' | 'keep';
  /** Secret contents are never printed. */
  secret: boolean;
  /** What --dry-run prints in place of secret contents: what the file will hold. */
  note?: string;
}

export type InstallAction = MkdirAction | WriteAction;

export interface InstallPlan {
  kind: InstallKind;
  unitName: string;
  actions: readonly InstallAction[];
  /** What to run afterwards, printed last. */
  next: readonly string[];
  /** Defaults the plan fell back on that the operator must know about (printed first and last). */
  warnings: readonly string[];
}

export const SERVICE_NAMES: Readonly<Record<InstallKind, string>> = Object.freeze({
  agent: 'traffic-agent',
  collector: 'traffic-collector',
});

function assertOptions(opts: InstallOptions): void {
  if (opts.kind !== 'agent' && opts.kind !== 'collector')
    throw new Error(`install: unknown kind ${JSON.stringify(opts.kind)}`);
  if (!isAbsolute(opts.prefix))
    throw new Error(`install: --prefix must be an absolute path, got ${JSON.stringify(opts.prefix)}`);
  if (opts.kind === 'collector') {
    for (const [flag, value] of [
      ['--node-id', opts.nodeId],
      ['--token', opts.token],
      ['--collector-url', opts.collectorUrl],
    ] as const) {
      if (value !== undefined) throw new Error(`install: ${flag} is for the agent, not the collector`);
    }
  }
  if (opts.nodeId !== undefined && !/^[1-9][0-9]{0,14}$/.test(opts.nodeId)) {
    throw new Error(
      `install: --node-id must be a positive integer (the id \`traffic-collector node add\` printed), got ${JSON.stringify(opts.nodeId)}`,
    );
  }
  if (opts.token !== undefined && !/^[\x21-\x7e]+$/.test(opts.token)) {
    throw new Error('install: --token must be non-empty printable ASCII without spaces');
  }
  if (opts.collectorUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(opts.collectorUrl)) {
    throw new Error(`install: --collector-url must be an http(s) URL, got ${JSON.stringify(opts.collectorUrl)}`);
  }
}

export function planInstall(opts: InstallOptions): InstallPlan {
  assertOptions(opts);
  const name = SERVICE_NAMES[opts.kind];
  const unitName = `${name}.service`;
  const at = (...parts: string[]): string => join(opts.prefix, ...parts);
  const keep = opts.force === true ? 'replace' : 'keep';
  const config = fillConfig(opts.configTemplate, {
    nodeId: opts.nodeId === undefined ? undefined : Number(opts.nodeId),
    collectorUrl: opts.collectorUrl,
  });
  const secret: WriteAction =
    opts.kind === 'agent'
      ? {
          type: 'write',
          path: at('etc', name, 'node-token'),
          mode: 0o600,
          contents: opts.token === undefined ? '' : `${opts.token}\n`,
          existing: keep,
          secret: true,
          note:
            opts.token === undefined
              ? 'empty: no --token given; put the node token here before starting'
              : `the node token from --token (${opts.token.length} characters, not shown)`,
        }
      : {
          type: 'write',
          path: at('etc', name, 'secrets.json'),
          mode: 0o600,
          contents: '{}\n',
          existing: keep,
          secret: true,
          note:
            '{} (an empty JSON object). Settings put here override config.json and stay out of the world-readable ' +
            'config: "db": "postgres://user:password@host/db", "adminToken", "serverToken"',
        };

  const actions: InstallAction[] = [
    { type: 'mkdir', path: at('etc', 'systemd', 'system'), mode: 0o755 },
    {
      type: 'write',
      path: at('etc', 'systemd', 'system', unitName),
      mode: 0o644,
      contents: opts.unitTemplate,
      existing: 'replace',
      secret: false,
    },
    { type: 'mkdir', path: at('etc', name), mode: 0o755 },
    {
      type: 'write',
      path: at('etc', name, 'config.json'),
      mode: 0o644,
      contents: config,
      existing: keep,
      secret: false,
    },
    secret,
    { type: 'mkdir', path: at('var', 'lib', name), mode: 0o700 },
  ];
  const next: string[] = [];
  if (opts.kind === 'agent' && opts.token === undefined) {
    next.push(`put the node token in ${secret.path} (one line, mode 0600) before starting`);
  }
  if (opts.kind === 'collector') {
    next.push(`put secrets (e.g. a PostgreSQL URL with its password) in ${secret.path}, not in config.json`);
  }
  next.push(`systemctl daemon-reload && systemctl enable --now ${name}`);
  return { kind: opts.kind, unitName, actions, next, warnings: defaultsUsed(opts, config) };
}

/** The agent's node.id and collector.url are per-node facts: say loudly when the template's placeholders stay. */
function defaultsUsed(opts: InstallOptions, config: string): string[] {
  if (opts.kind !== 'agent') return [];
  const filled = JSON.parse(config) as { node?: { id?: unknown }; collector?: { url?: unknown } };
  const warnings: string[] = [];
  if (opts.nodeId === undefined)
    warnings.push(
      `WARNING: no --node-id: config.json keeps the placeholder node.id ${JSON.stringify(filled.node?.id)}; ` +
        'give --node-id with the id `traffic-collector node add` printed, or edit node.id before starting',
    );
  if (opts.collectorUrl === undefined)
    warnings.push(
      `WARNING: no --collector-url: config.json keeps the placeholder collector.url ${JSON.stringify(filled.collector?.url)}; ` +
        'give --collector-url, or edit collector.url before starting',
    );
  return warnings;
}

function modeText(mode: number): string {
  return `0${mode.toString(8)}`;
}

/** Human-readable plan for --dry-run. Secret contents are shown as their length only. */
export function formatPlan(plan: InstallPlan): string {
  const lines: string[] = [...plan.warnings, `install ${plan.unitName}: would`];
  for (const a of plan.actions) {
    if (a.type === 'mkdir') {
      lines.push(`  mkdir ${modeText(a.mode)} ${a.path}/`);
      continue;
    }
    const when = a.existing === 'keep' ? ' (kept if it exists; --force replaces it)' : ' (replaced if it exists)';
    lines.push(`  write ${modeText(a.mode)} ${a.path}${when}`);
    if (a.secret)
      lines.push(
        `        ${a.note ?? (a.contents.trim() === '' ? '(empty)' : `(secret, ${a.contents.trim().length} characters)`)}`,
      );
    else if (a.path.endsWith('.json'))
      lines.push(
        ...a.contents
          .trimEnd()
          .split('\n')
          .map((l) => `        ${l}`),
      );
  }
  lines.push('then:', ...plan.next.map((n) => `  ${n}`), ...plan.warnings);
  return `${lines.join('\n')}\n`;
}

/**
 * Creates `path` with `mode`, and any missing parent with 0755 (as /etc and /var/lib are): a
 * recursive mkdir would give a staged tree's /var/lib the state directory's 0700. Modes are set
 * with chmod, since mkdir's are masked by the umask.
 */
function makeDir(path: string, mode: number): void {
  const parent = dirname(path);
  if (parent !== path && !existsSync(parent)) makeDir(parent, 0o755);
  mkdirSync(path, { mode });
  chmodSync(path, mode);
}

/** Carries the plan out. Returns one line per action saying what was done. */
export function applyInstall(plan: InstallPlan): string[] {
  const report: string[] = [];
  for (const a of plan.actions) {
    if (a.type === 'mkdir') {
      if (existsSync(a.path)) {
        report.push(`exists  ${a.path}/`);
      } else {
        makeDir(a.path, a.mode);
        report.push(`created ${modeText(a.mode)} ${a.path}/`);
      }
      continue;
    }
    const present = existsSync(a.path);
    if (present && a.existing === 'keep') {
      report.push(`kept    ${a.path} (it exists; --force replaces it)`);
      continue;
    }
    writeFileDurably(a.path, a.contents, a.mode);
    report.push(`${present ? 'replaced' : 'wrote  '} ${modeText(a.mode)} ${a.path}`);
  }
  return report;
}
