/**
 * The .deb on this machine, through dpkg and nothing else (root; no systemd runs here, so the maintainer scripts take
 * their no-systemd path): install, run the installed executable against a real collector, upgrade to a newer build
 * (the edited conffile and the token are kept), remove (config kept), purge (config and token gone, the state kept,
 * as docs/install.md says).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-binary.js';
import { ensureAgentExecutable } from '../support/agent-executable.js';
import { startCollector, type CollectorProcess } from '../support/collector-process.js';
import { withHostLock } from '../support/host-lock.js';
import { brokenLinks, markdownFiles } from '../support/markdown-links.js';
import { AGENT_DOCS } from '../../scripts/build-deb.mjs';

const CONFIG = '/etc/traffic-agent/config.json';
const TOKEN = '/etc/traffic-agent/node-token';
const STATE = '/var/lib/traffic-agent';

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}
const ok = (cmd: string, args: string[], env?: NodeJS.ProcessEnv): string => {
  const r = sh(cmd, args, env);
  expect(r.code, `${cmd} ${args.join(' ')}:\n${r.out}`).toBe(0);
  return r.out;
};
const status = () => sh('dpkg-query', ['-W', '-f=${db:Status-Abbrev} ${Version}', 'traffic-agent']);

let collector: CollectorProcess | undefined;
let dir: string | undefined;
afterAll(async () => {
  await collector?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the .deb with dpkg', () => {
  it('installs, runs, upgrades keeping the config, removes and purges', { timeout: 900_000 }, async () => {
    if (process.getuid?.() !== 0) throw new Error('this test installs a package with dpkg: run it as root (CI does)');
    const built = await ensureAgentExecutable();
    // A newer build: the same executable packed as a higher version.
    dir = mkdtempSync(join(tmpdir(), 'deb-'));
    const newer = `${built.version}+test.2`;
    copyFileSync(built.binary, join(dir, 'traffic-agent'));
    ok(process.execPath, [join(REPO_ROOT, 'scripts/build-agent.mjs'), '--deb-only', '--out', dir, '--version', newer]);
    const newerDeb = join(dir, `traffic-agent_${newer}_amd64.deb`);
    collector = await startCollector();
    const node = await collector.addNode({ name: 'deb-node' });

    await withHostLock('traffic-agent-dpkg-test', async () => {
      if (status().code === 0) ok('dpkg', ['-P', 'traffic-agent']);
      rmSync(STATE, { recursive: true, force: true });
      try {
        // Install.
        ok('dpkg', ['-i', built.deb]);
        expect(status().out).toBe(`ii  ${built.version}`);
        expect(ok('/usr/bin/traffic-agent', ['--version'])).toBe(`${built.version}\n`);
        expect(readFileSync('/lib/systemd/system/traffic-agent.service', 'utf8')).toBe(
          readFileSync(join(REPO_ROOT, 'systemd/traffic-agent.service'), 'utf8'),
        );
        expect(readFileSync(CONFIG, 'utf8')).toBe(readFileSync(join(REPO_ROOT, 'config.example.json'), 'utf8'));
        expect(ok('dpkg-query', ['-W', '-f=${Conffiles}', 'traffic-agent'])).toMatch(
          /^ \/etc\/traffic-agent\/config\.json [0-9a-f]{32}$/,
        );
        // The agent operator's pages, and every link in them resolving inside the doc folder (no GitHub needed).
        const doc = '/usr/share/doc/traffic-agent';
        for (const page of AGENT_DOCS) expect(existsSync(join(doc, page)), page).toBe(true);
        expect(markdownFiles(doc).map((f) => f.slice(doc.length + 1))).toEqual([...AGENT_DOCS].sort());
        expect(brokenLinks(doc)).toEqual([]);
        expect(statSync('/usr/bin/traffic-agent').mode & 0o777).toBe(0o755);

        // The operator's part: the node's id and the collector in the config, the token in its root-only file.
        const edited = { ...JSON.parse(readFileSync(CONFIG, 'utf8')), node: { id: node.id, token: '' } };
        edited.collector.url = collector!.url;
        writeFileSync(CONFIG, `${JSON.stringify(edited, null, 2)}\n`);
        writeFileSync(TOKEN, `${node.token}\n`, { mode: 0o600 });
        // The installed executable, on this machine's real /proc, delivers to a real collector. The token comes as
        // the unit hands it over: a credentials folder holding node-token.
        const env = { PATH: '/usr/bin:/bin', CREDENTIALS_DIRECTORY: '/etc/traffic-agent' };
        expect(ok('/usr/bin/traffic-agent', ['check-config', '--config', CONFIG], env)).toContain(': OK (node');
        ok('/usr/bin/traffic-agent', ['once', '--config', CONFIG], env);
        const res = await request(`${collector!.url}/api/v1/nodes`, {
          headers: { authorization: `Bearer ${collector!.adminToken}` },
        });
        const body = (await res.body.json()) as { nodes: { id: number; online: boolean }[] };
        expect(body.nodes.find((n) => n.id === node.id)?.online).toBe(true);
        expect(existsSync(STATE)).toBe(true);

        // Upgrade: the edited conffile and the token stay, without a prompt (stdin is closed).
        ok('dpkg', ['-i', newerDeb]);
        expect(status().out).toBe(`ii  ${newer}`);
        expect(JSON.parse(readFileSync(CONFIG, 'utf8'))).toEqual(edited);
        expect(readFileSync(TOKEN, 'utf8')).toBe(`${node.token}\n`);
        expect(existsSync(`${CONFIG}.dpkg-dist`)).toBe(false);

        // Remove: program and unit go, config and token stay.
        ok('dpkg', ['-r', 'traffic-agent']);
        expect(status().out).toBe(`rc  ${newer}`);
        expect(existsSync('/usr/bin/traffic-agent')).toBe(false);
        expect(existsSync('/lib/systemd/system/traffic-agent.service')).toBe(false);
        expect(JSON.parse(readFileSync(CONFIG, 'utf8'))).toEqual(edited);
        expect(existsSync(TOKEN)).toBe(true);

        // Purge: config and token go; the state stays, and purge says where it is.
        const purged = ok('dpkg', ['-P', 'traffic-agent']);
        expect(status().code).not.toBe(0);
        expect(existsSync('/etc/traffic-agent')).toBe(false);
        expect(existsSync(STATE)).toBe(true);
        expect(purged).toContain(`the agent's state is kept in ${STATE}`);
      } finally {
        if (status().code === 0) sh('dpkg', ['-P', 'traffic-agent']);
        rmSync(STATE, { recursive: true, force: true });
      }
    });
  });
});
