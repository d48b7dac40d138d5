import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  agentUnitFor,
  DEFAULT_PACKAGE_ROOT,
  installCommand,
  type InstallCommandDeps,
} from '../../src/ops/install-command.js';
import { formatPlan, planInstall } from '../../src/ops/install.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

// A small template of our own, shaped like config.example.json.
const AGENT_TEMPLATE = JSON.stringify({
  node: { id: 1, token: 'CHANGE-ME' },
  collector: { url: 'http://127.0.0.1:8080' },
  stateDir: '/var/lib/traffic-agent',
  heartbeatIntervalSec: 60,
});
const COLLECTOR_TEMPLATE = JSON.stringify({ listen: '127.0.0.1:8080', database: { kind: 'sqlite' } });

function mode(path: string): string {
  return (statSync(path).mode & 0o777).toString(8).padStart(4, '0');
}

function listTree(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true }).map(String).sort();
}

describe('install', () => {
  let dir: string;
  let pkg: string;
  let prefix: string;
  let output: string[];
  let deps: InstallCommandDeps;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'install-'));
    pkg = join(dir, 'pkg');
    prefix = join(dir, 'root');
    mkdirSync(join(pkg, 'systemd'), { recursive: true });
    writeFileSync(join(pkg, 'config.example.json'), AGENT_TEMPLATE);
    writeFileSync(join(pkg, 'collector.example.json'), COLLECTOR_TEMPLATE);
    for (const unit of ['traffic-agent.service', 'traffic-collector.service']) {
      copyFileSync(join(REPO, 'systemd', unit), join(pkg, 'systemd', unit));
    }
    output = [];
    deps = { packageRoot: pkg, isRoot: () => false, out: (t) => output.push(t) };
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(kind: 'agent' | 'collector', args: string[]): Promise<void> {
    await yargs(['install', ...args])
      .command(installCommand(kind, deps))
      .strict()
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
  }

  it('lays the agent out under --prefix with the right modes and values', async () => {
    await run('agent', [
      '--prefix',
      prefix,
      '--node-id',
      '42',
      '--token',
      's3cret-token',
      '--collector-url',
      'https://collector.example:8443',
    ]);

    const unit = join(prefix, 'etc/systemd/system/traffic-agent.service');
    const config = join(prefix, 'etc/traffic-agent/config.json');
    const token = join(prefix, 'etc/traffic-agent/node-token');
    const state = join(prefix, 'var/lib/traffic-agent');
    expect(mode(unit)).toBe('0644');
    expect(mode(config)).toBe('0644');
    expect(mode(token)).toBe('0600');
    expect(mode(state)).toBe('0700');
    expect(statSync(state).isDirectory()).toBe(true);
    // Parents created on the way keep the usual 0755, not the state directory's 0700.
    for (const parent of ['etc', 'etc/systemd', 'etc/traffic-agent', 'var', 'var/lib'])
      expect(mode(join(prefix, parent))).toBe('0755');

    // From the npm package the unit runs this Node and the package's launcher, not /usr/bin/traffic-agent (the .deb's).
    expect(readFileSync(unit, 'utf8')).toBe(
      readFileSync(join(REPO, 'systemd/traffic-agent.service'), 'utf8').replaceAll(
        '/usr/bin/traffic-agent ',
        `${process.execPath} ${join(pkg, 'bin/traffic-agent.js')} `,
      ),
    );
    const parsed = JSON.parse(readFileSync(config, 'utf8'));
    expect(parsed.node).toEqual({ id: 42, token: '' });
    expect(parsed.collector.url).toBe('https://collector.example:8443');
    expect(parsed.heartbeatIntervalSec).toBe(60); // the rest of the template as is
    expect(readFileSync(token, 'utf8')).toBe('s3cret-token\n');
    expect(readFileSync(config, 'utf8')).not.toContain('s3cret-token');

    const printed = output.join('');
    expect(printed).toContain('systemctl daemon-reload && systemctl enable --now traffic-agent');
    expect(printed).not.toContain('s3cret-token');
  });

  it('lays the collector out with a 0600 secrets file', async () => {
    await run('collector', ['--prefix', prefix]);
    expect(mode(join(prefix, 'etc/systemd/system/traffic-collector.service'))).toBe('0644');
    expect(mode(join(prefix, 'etc/traffic-collector/config.json'))).toBe('0644');
    expect(mode(join(prefix, 'etc/traffic-collector/secrets.json'))).toBe('0600');
    expect(mode(join(prefix, 'var/lib/traffic-collector'))).toBe('0700');
    expect(JSON.parse(readFileSync(join(prefix, 'etc/traffic-collector/config.json'), 'utf8'))).toEqual(
      JSON.parse(COLLECTOR_TEMPLATE),
    );
    expect(output.join('')).toContain('systemctl daemon-reload && systemctl enable --now traffic-collector');
  });

  it('--dry-run writes nothing and prints the plan without the token', async () => {
    await run('agent', ['--prefix', prefix, '--dry-run', '--node-id', '7', '--token', 'dry-secret']);
    expect(listTree(prefix)).toEqual([]);
    const printed = output.join('');
    expect(printed).toContain(join(prefix, 'etc/traffic-agent/config.json'));
    expect(printed).toContain('"id": 7');
    expect(printed).not.toContain('dry-secret');
    expect(printed).toContain('systemctl daemon-reload && systemctl enable --now traffic-agent');
  });

  it('keeps an existing config and token without --force, and replaces them with it', async () => {
    await run('agent', ['--prefix', prefix, '--node-id', '1', '--token', 'first']);
    const config = join(prefix, 'etc/traffic-agent/config.json');
    const token = join(prefix, 'etc/traffic-agent/node-token');
    writeFileSync(config, '{"edited": true}\n');

    output = [];
    await run('agent', ['--prefix', prefix, '--node-id', '2', '--token', 'second']);
    expect(readFileSync(config, 'utf8')).toBe('{"edited": true}\n');
    expect(readFileSync(token, 'utf8')).toBe('first\n');
    expect(output.join('')).toMatch(/kept +.*config\.json \(it exists; --force replaces it\)/);

    await run('agent', ['--prefix', prefix, '--node-id', '2', '--token', 'second', '--force']);
    expect(JSON.parse(readFileSync(config, 'utf8')).node.id).toBe(2);
    expect(readFileSync(token, 'utf8')).toBe('second\n');
    expect(mode(config)).toBe('0644');
    expect(mode(token)).toBe('0600');
  });

  it('refuses to write under / without root, with a clear error', async () => {
    await expect(run('agent', [])).rejects.toThrow(/needs root.*--prefix.*--dry-run/);
    await run('agent', ['--dry-run']); // allowed: writes nothing
    expect(output.join('')).toContain('/etc/traffic-agent/config.json');
  });

  it('rejects bad values before doing anything', async () => {
    await expect(run('agent', ['--prefix', prefix, '--node-id', 'abc'])).rejects.toThrow(
      /--node-id must be a positive integer/,
    );
    await expect(run('agent', ['--prefix', prefix, '--collector-url', 'collector:8080'])).rejects.toThrow(
      /--collector-url must be an http/,
    );
    expect(() =>
      planInstall({ kind: 'collector', prefix: '/', token: 'x', configTemplate: '{}', unitTemplate: '' }),
    ).toThrow(/--token is for the agent/);
    expect(listTree(prefix)).toEqual([]);
  });

  it('finds the shipped templates two levels above src/ops/ (and dist/ops/)', () => {
    expect(DEFAULT_PACKAGE_ROOT).toBe(REPO);
    expect(existsSync(join(DEFAULT_PACKAGE_ROOT, 'systemd', 'traffic-agent.service'))).toBe(true);
    expect(existsSync(join(DEFAULT_PACKAGE_ROOT, 'systemd', 'traffic-collector.service'))).toBe(true);
  });

  it('plans without touching the disk', () => {
    const plan = planInstall({
      kind: 'agent',
      prefix: '/nonexistent/root',
      nodeId: '3',
      configTemplate: AGENT_TEMPLATE,
      unitTemplate: '[Unit]\n',
    });
    expect(plan.actions.map((a) => `${a.type} ${a.mode.toString(8)} ${a.path}`)).toEqual([
      'mkdir 755 /nonexistent/root/etc/systemd/system',
      'write 644 /nonexistent/root/etc/systemd/system/traffic-agent.service',
      'mkdir 755 /nonexistent/root/etc/traffic-agent',
      'write 644 /nonexistent/root/etc/traffic-agent/config.json',
      'write 600 /nonexistent/root/etc/traffic-agent/node-token',
      'mkdir 700 /nonexistent/root/var/lib/traffic-agent',
    ]);
    expect(plan.next.at(-1)).toBe('systemctl daemon-reload && systemctl enable --now traffic-agent');
    expect(formatPlan(plan)).toContain('node-token (kept if it exists; --force replaces it)');
    expect(existsSync('/nonexistent/root')).toBe(false);
  });

  it('--dry-run without --node-id or --collector-url says loudly which placeholders the config keeps', () => {
    const plan = planInstall({
      kind: 'agent',
      prefix: '/nonexistent/root',
      configTemplate: AGENT_TEMPLATE,
      unitTemplate: '[Unit]\n',
    });
    const text = formatPlan(plan);
    const first = text.split('\n').slice(0, 2);
    expect(first[0]).toMatch(/^WARNING: no --node-id: config\.json keeps the placeholder node\.id \d+/);
    expect(first[1]).toMatch(/^WARNING: no --collector-url: config\.json keeps the placeholder collector\.url "http/);
    expect(text).toContain('empty: no --token given');
    const given = planInstall({
      kind: 'agent',
      prefix: '/nonexistent/root',
      nodeId: '4',
      token: 'tok-123456',
      collectorUrl: 'https://c.example:8443',
      configTemplate: AGENT_TEMPLATE,
      unitTemplate: '[Unit]\n',
    });
    expect(given.warnings).toEqual([]);
    expect(formatPlan(given)).toContain('the node token from --token (10 characters, not shown)');
    expect(formatPlan(given)).not.toContain('tok-123456');
  });

  it("the collector's --dry-run says what secrets.json will contain", () => {
    const plan = planInstall({
      kind: 'collector',
      prefix: '/nonexistent/root',
      configTemplate: '{}',
      unitTemplate: '[Unit]\n',
    });
    expect(plan.warnings).toEqual([]);
    expect(formatPlan(plan)).toMatch(
      /secrets\.json .*\n\s+\{\} \(an empty JSON object\)\. Settings put here override config\.json/,
    );
  });
});

describe('agentUnitFor', () => {
  const shipped = readFileSync(new URL('../../systemd/traffic-agent.service', import.meta.url), 'utf8');

  it('makes a hand-installed unit run the Node and launcher installing it, in ExecStart and ExecReload', () => {
    const unit = agentUnitFor(shipped, ['/usr/local/bin/node', '/opt/traffic agent/bin/traffic-agent.js']);
    const exec = unit.split('\n').filter((l) => /^Exec(Start|Reload)=/.test(l));
    expect(exec).toEqual([
      'ExecStart=/usr/local/bin/node "/opt/traffic agent/bin/traffic-agent.js" run --config ${CONFIGURATION_DIRECTORY}/config.json',
      'ExecReload=/usr/local/bin/node "/opt/traffic agent/bin/traffic-agent.js" reload --pid $MAINPID',
    ]);
  });

  it('keeps the packaged path for the single executable at /usr/bin/traffic-agent', () => {
    expect(agentUnitFor(shipped, ['/usr/bin/traffic-agent'])).toBe(shipped);
  });
});
