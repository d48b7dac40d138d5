/** `traffic-collector reload --pid` (the unit's ExecReload): the running collector takes its new config on SIGHUP. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COLLECTOR_BIN, startCollector } from '../support/collector-process.js';

const run = promisify(execFile);

describe('traffic-collector reload', () => {
  it('signals the running collector, which reloads; a bad pid is a usage error', async () => {
    const c = await startCollector();
    try {
      // The new config raises the log level to info: a reload applies that at once and says so.
      writeFileSync(join(c.dir, 'collector.json'), JSON.stringify({ logLevel: 'info', maxEventLoopDelayMs: 0 }));
      const r = await run(process.execPath, [COLLECTOR_BIN, 'reload', '--pid', String(c.child.pid)]);
      expect(r.stderr).toBe('');
      const deadline = Date.now() + 20_000;
      while (!c.output().includes('"event":"reload"') && Date.now() < deadline)
        await new Promise((res) => setTimeout(res, 50));
      expect(c.output()).toContain('"event":"reload"');
      expect(c.child.exitCode).toBeNull();
      const bad = await run(process.execPath, [COLLECTOR_BIN, 'reload', '--pid', '1.5']).catch((e: unknown) => e);
      expect((bad as { code: number }).code).toBe(2);
      expect((bad as { stderr: string }).stderr).toContain('traffic-collector reload: --pid must be');
    } finally {
      await c.stop();
    }
  });
});
