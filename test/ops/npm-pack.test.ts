/**
 * The package as an operator gets it: `npm pack`, installed into an empty project from the tarball alone, and both
 * bins answer --help through npx. Catches a file missing from package.json "files" or a dependency in the wrong list.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/agent-binary.js';

const work = mkdtempSync(join(tmpdir(), 'npm-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Asynchronous on purpose: a minute-long synchronous install would block the test worker's event loop.
const run = async (cmd: string, args: string[], cwd: string) =>
  (await promisify(execFile)(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 24 })).stdout;
const npm = (args: string[], cwd: string) => run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], cwd);

describe('npm pack', () => {
  it('installs from the tarball into an empty project and runs both bins', { timeout: 360_000 }, async () => {
    // --ignore-scripts: the tree is built already (pretest); a prepack build here would race other test files reading dist/.
    const packed = JSON.parse(
      await npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO_ROOT),
    ) as { filename: string; files: { path: string }[] }[];
    const files = packed[0].files.map((f) => f.path);
    expect(files).toContain('dist/agent/cli.js');
    expect(files).toContain('dist/collector/cli.js');
    expect(files).toContain('config.example.json');
    expect(files).toContain('systemd/traffic-agent.service');
    expect(files.some((f) => f.endsWith('.proto'))).toBe(true);
    expect(files.some((f) => f.startsWith('src/') && f.endsWith('.ts'))).toBe(false);
    expect(files.some((f) => f.startsWith('test/'))).toBe(false);

    const project = join(work, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'pack-check', version: '1.0.0', private: true }),
    );
    await npm(['install', '--prefer-offline', join(work, packed[0].filename)], project);
    expect(readdirSync(join(project, 'node_modules', '.bin'))).toEqual(
      expect.arrayContaining(['traffic-agent', 'traffic-collector']),
    );

    const agentHelp = await run('npx', ['--no-install', 'traffic-agent', '--help'], project);
    expect(agentHelp).toContain('traffic-agent run');
    expect(agentHelp).toContain('check-config');
    const collectorHelp = await run('npx', ['--no-install', 'traffic-collector', '--help'], project);
    expect(collectorHelp).toContain('serve');
    // The installed agent validates the shipped example config (its only complaint: no token yet).
    const example = join(project, 'node_modules', 'traffic-agent', 'config.example.json');
    let out = '';
    try {
      await run('npx', ['--no-install', 'traffic-agent', 'check-config', '-c', example], project);
    } catch (err) {
      out = String((err as { stdout?: string }).stdout);
    }
    expect(out).toContain('node.token: is empty');
    expect(out.match(/^ {2}\S/gm)?.length).toBe(1);
  });
});
