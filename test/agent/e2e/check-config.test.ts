/** check-config: exit 1 listing every problem by its key path; exit 0 on a good file. The token is never printed. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKEN, configObject, ensureBuilt, makeTempDir, runAgent } from '../helpers/agent-cli.js';

describe('check-config', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    ensureBuilt();
    tmp = await makeTempDir('ta-check-');
  });
  afterAll(() => tmp.cleanup());

  it('lists each problem of a config with wrong types by key path, and exits 1', async () => {
    const file = join(tmp.dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({
        node: { id: 'one', token: TOKEN },
        collector: { url: 'ftp://collector.example', timeoutMs: '10' },
        stateDir: 'relative/dir',
        heartbeatIntervalSec: 'fast',
        hearbeatIntervalSec: 10,
        counterBits: 16,
        period: { resetDay: 32 },
        interfaces: { exclude: 'lo*' },
        bogus: true,
      }),
    );
    const r = await runAgent(['check-config', '-c', file]);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines[0]).toBe(`${file}: invalid configuration (10 problems)`);
    for (const want of [
      'collector.url: must be an http(s) URL',
      'collector.timeoutMs: must be integer (got "10")',
      'heartbeatIntervalSec: must be number (got "fast")',
      'node.id: must be a positive integer',
      'stateDir: must be an absolute path',
      'counterBits: must be "auto", 32 or 64',
      'period.resetDay: must be an integer from 1 to 31',
      'interfaces.exclude: must be a list of glob strings',
      'bogus: is not a known setting',
      'hearbeatIntervalSec: is not a known setting (did you mean heartbeatIntervalSec?)',
    ]) {
      expect(
        lines.some((l) => l.startsWith(want)),
        `${want}\n${r.stdout}`,
      ).toBe(true);
    }
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
  });

  it('names an unknown time zone and an unparsable file', async () => {
    const tz = join(tmp.dir, 'tz.json');
    await writeFile(
      tz,
      JSON.stringify({
        node: { id: 1, token: TOKEN },
        collector: { url: 'http://127.0.0.1:1' },
        period: { timezone: 'Mars/Olympus' },
      }),
    );
    const r = await runAgent(['check-config', '-c', tz]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('period.timezone: unknown IANA time zone "Mars/Olympus"');
    const broken = join(tmp.dir, 'broken.json');
    await writeFile(broken, `{"node": {"id": 1, "token": "${TOKEN}"`);
    const b = await runAgent(['check-config', '-c', broken]);
    expect(b.code).toBe(1);
    expect(b.stdout).toContain('is not valid JSON');
    expect(`${r.stdout}${r.stderr}${b.stdout}${b.stderr}`).not.toContain(TOKEN);
  });

  it('accepts a good config with exit 0', async () => {
    const good = join(tmp.dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify(configObject({ url: 'http://127.0.0.1:1', stateDir: '/var/lib/x', procRoot: '/proc' })),
    );
    const r = await runAgent(['check-config', '-c', good]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OK (node 1, collector http://127.0.0.1:1, state in /var/lib/x)');
    expect(r.stdout).not.toContain(TOKEN);
  });
});
