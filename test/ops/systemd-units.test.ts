import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNITS = ['traffic-agent.service', 'traffic-collector.service'] as const;
const MAX_EXPOSURE = 2.0;

function analyze(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('systemd-analyze', args, {
    encoding: 'utf8',
    env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '' },
  });
  if (r.error) {
    // Fail loudly rather than pass: these checks are the only proof the units load.
    throw new Error(
      `systemd-analyze could not run (${r.error.message}); install the systemd package (apt-get install systemd) to check the units`,
    );
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function unitPath(unit: string): string {
  return join(REPO, 'systemd', unit);
}

/** Directive values of a unit file, by key (a key may repeat). */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of readFileSync(unitPath(unit), 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  return out;
}

describe('systemd units', () => {
  it('systemd-analyze is on this machine', () => {
    const r = analyze(['--version']);
    expect(r.status).toBe(0);
    console.log(`systemd-analyze: ${r.stdout.split('\n')[0]}`);
  });

  for (const unit of UNITS) {
    it(`${unit} passes systemd-analyze verify`, () => {
      // verify checks that ExecStart's program exists: /usr/bin/traffic-agent only does once the .deb is installed
      // (test/packaging/systemd-boot.test.ts boots the real one), so the agent's unit is checked as a copy that names
      // an executable stand-in at a temporary path instead.
      const dir = mkdtempSync(join(tmpdir(), 'units-'));
      try {
        let path = unitPath(unit);
        if (unit === 'traffic-agent.service') {
          const standIn = join(dir, 'traffic-agent');
          writeFileSync(standIn, '#!/bin/sh\n', { mode: 0o755 });
          path = join(dir, unit);
          writeFileSync(
            path,
            readFileSync(unitPath(unit), 'utf8').replaceAll('/usr/bin/traffic-agent ', `${standIn} `),
          );
        }
        const r = analyze(['verify', '--man=no', path]);
        const aboutUs = r.stderr.split('\n').filter((l) => l.includes('traffic-'));
        expect(aboutUs).toEqual([]);
        expect(r.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it(`${unit} has an exposure of ${MAX_EXPOSURE} or lower in systemd-analyze security --offline=yes`, () => {
      const r = analyze(['security', '--offline=yes', '--no-pager', unitPath(unit)]);
      const m = /Overall exposure level for \S+: ([0-9]+(?:\.[0-9]+)?)/.exec(r.stdout);
      expect(m, `no exposure figure in:\n${r.stdout}\n${r.stderr}`).not.toBeNull();
      const exposure = Number(m![1]);
      console.log(`systemd-analyze security --offline=yes systemd/${unit}: overall exposure ${exposure}`);
      expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
    });
  }

  it('verify does catch a broken unit (so a pass above means something)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'units-'));
    try {
      const broken = join(dir, 'traffic-broken.service');
      writeFileSync(broken, '[Service]\nType=notify\nExecStart=/nonexistent/traffic-agent run\n');
      const r = analyze(['verify', '--man=no', broken]);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('/nonexistent/traffic-agent');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the agent keeps the host network and /proc/net, and gets the state and token it needs', () => {
    const d = directives('traffic-agent.service');
    // PrivateNetwork= would leave only `lo` in /proc/net/dev; ProcSubset=pid would hide /proc/net.
    expect(d.has('PrivateNetwork')).toBe(false);
    expect(d.has('ProcSubset')).toBe(false);
    expect(d.get('ProtectProc')).toEqual(['invisible']);
    expect(d.get('Type')).toEqual(['notify']);
    expect(d.get('StateDirectory')).toEqual(['traffic-agent']);
    expect(d.get('DynamicUser')).toEqual(['yes']);
    expect(d.get('LoadCredential')).toEqual(['node-token:/etc/traffic-agent/node-token']);
    // The .deb's single executable, directly; reload needs no /bin/kill (absent from minimal Debian).
    expect(d.get('ExecStart')).toEqual(['/usr/bin/traffic-agent run --config ${CONFIGURATION_DIRECTORY}/config.json']);
    expect(d.get('ExecReload')).toEqual(['/usr/bin/traffic-agent reload --pid $MAINPID']);
    // ExecReload waits on the daemon's reload-status.json there (src/ops/reload-status.ts).
    expect(d.get('RuntimeDirectory')).toEqual(['traffic-agent']);
    expect(d.get('RestrictAddressFamilies')?.[0]?.split(' ')).toEqual(
      expect.arrayContaining(['AF_INET', 'AF_INET6', 'AF_UNIX']),
    );
  });

  it('the collector runs `serve` with its own state, config and secrets', () => {
    const d = directives('traffic-collector.service');
    expect(d.get('ExecStart')).toEqual([
      '/usr/bin/env traffic-collector serve --config ${CONFIGURATION_DIRECTORY}/config.json',
    ]);
    // Reload needs no /bin/kill (absent from minimal Debian): the collector signals itself.
    expect(d.get('ExecReload')).toEqual(['/usr/bin/env traffic-collector reload --pid $MAINPID']);
    expect(d.get('StateDirectory')).toEqual(['traffic-collector']);
    expect(d.get('RuntimeDirectory')).toEqual(['traffic-collector']);
    expect(d.get('LoadCredential')).toEqual(['secrets.json:/etc/traffic-collector/secrets.json']);
  });
});
