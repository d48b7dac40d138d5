/**
 * `traffic-collector reload --pid` (the unit's ExecReload): the running collector takes its new config on SIGHUP, and
 * the command returns once it has (exit 0), or exits 1 saying why it refused the config. $RUNTIME_DIRECTORY stands in
 * for the unit's RuntimeDirectory= (src/ops/reload-status.ts).
 */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COLLECTOR_BIN, startCollector } from '../support/collector-process.js';

function reload(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [COLLECTOR_BIN, 'reload', ...args],
      { env: { ...process.env, RUNTIME_DIRECTORY: '', ...env } },
      (err, _stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code) : 0, stderr }),
    );
  });
}

describe('traffic-collector reload', () => {
  it('returns once the collector has reloaded, and fails saying why when it refused the config', async () => {
    const runtimeDir = join(mkdtempSync(join(tmpdir(), 'tc-run-')), 'run');
    mkdirSync(runtimeDir, { mode: 0o700 });
    const env = { RUNTIME_DIRECTORY: runtimeDir };
    const c = await startCollector({ env });
    try {
      const pid = c.child.pid!;
      const status = () => JSON.parse(readFileSync(join(runtimeDir, 'reload-status.json'), 'utf8'));
      expect(status()).toMatchObject({ pid, generation: 0, state: 'running' });

      // The new config raises the log level to info: a reload applies that at once and says so.
      writeFileSync(join(c.dir, 'collector.json'), JSON.stringify({ logLevel: 'info', maxEventLoopDelayMs: 0 }));
      const ok = await reload(['--pid', String(pid)], env);
      expect(ok).toEqual({ code: 0, stderr: '' });
      expect(status()).toMatchObject({ pid, generation: 1, state: 'reloaded' });
      await expect.poll(() => c.output(), { timeout: 5_000 }).toContain('"event":"reload"');

      // A broken config: exit 1 with every problem; the collector keeps the old config and serves on.
      writeFileSync(join(c.dir, 'collector.json'), JSON.stringify({ logLevel: 'loud', timezone: 'Mars/Olympus' }));
      const refused = await reload(['--pid', String(pid)], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `traffic-collector reload: process ${pid} refused the new configuration and keeps the old one: invalid collector config: `,
      );
      expect(refused.stderr).toContain('timezone: unknown IANA time zone "Mars/Olympus"');
      expect(refused.stderr).toContain('logLevel');
      expect(status()).toMatchObject({ pid, generation: 2, state: 'refused' });
      expect((await fetch(`${c.url}/healthz`)).status).toBe(200);
      expect(c.child.exitCode).toBeNull();

      // Started by hand (no $RUNTIME_DIRECTORY): the signal goes, and the command says it did not wait.
      writeFileSync(join(c.dir, 'collector.json'), JSON.stringify({ logLevel: 'info', maxEventLoopDelayMs: 0 }));
      const unwaited = await reload(['--pid', String(pid)]);
      expect(unwaited.code).toBe(0);
      expect(unwaited.stderr).toContain('not waiting for it to finish: $RUNTIME_DIRECTORY is unset');

      const bad = await reload(['--pid', '1.5']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('traffic-collector reload: --pid must be');
      const badTimeout = await reload(['--pid', String(pid), '--timeout-sec', '0']);
      expect(badTimeout.code).toBe(2);
      expect(badTimeout.stderr).toContain('--timeout-sec must be a number of seconds in (0, 3600]');
    } finally {
      await c.stop();
    }
  });
});
