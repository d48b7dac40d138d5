/**
 * Both programs' help, from the real binaries: wrapped at word boundaries to the terminal width (COLUMNS in a pipe),
 * every option and command described, descriptions capitalised.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, REPO, ensureBuilt } from '../agent/helpers/agent-cli.js';
import { join } from 'node:path';

const run = promisify(execFile);
const COLLECTOR_BIN = join(REPO, 'bin', 'traffic-collector.js');

const HELPS: [string, string[]][] = [
  [AGENT_BIN, []],
  [AGENT_BIN, ['run']],
  [AGENT_BIN, ['status']],
  [AGENT_BIN, ['report']],
  [AGENT_BIN, ['reload']],
  [AGENT_BIN, ['install']],
  [COLLECTOR_BIN, []],
  [COLLECTOR_BIN, ['serve']],
  [COLLECTOR_BIN, ['install']],
  [COLLECTOR_BIN, ['node']],
  [COLLECTOR_BIN, ['node', 'add']],
  [COLLECTOR_BIN, ['node', 'rotate-token']],
  [COLLECTOR_BIN, ['quota', 'add']],
  [COLLECTOR_BIN, ['pool', 'add-node']],
];

async function help(bin: string, args: string[], columns: number): Promise<string> {
  const { stdout } = await run(process.execPath, [bin, ...args, '--help'], {
    env: { ...process.env, COLUMNS: String(columns) },
  });
  return stdout;
}

// cliui may set a type tag right after the description's last word ("db)[string]"): a tag starts a word too.
const words = (text: string) => new Set(text.split(/\s+|(?=\[)/).filter(Boolean));

describe('CLI help', () => {
  const texts = new Map<string, string>();
  const text = (bin: string, args: string[], columns: number) => texts.get(`${bin} ${args.join(' ')} ${columns}`) ?? '';
  beforeAll(async () => {
    ensureBuilt();
    const runs = HELPS.flatMap(([bin, args]) => [80, 200].map((columns) => ({ bin, args, columns })));
    await Promise.all(
      runs.map(async ({ bin, args, columns }) =>
        texts.set(`${bin} ${args.join(' ')} ${columns}`, await help(bin, args, columns)),
      ),
    );
  }, 300_000);

  it('wraps at word boundaries within the terminal width, the same way for both programs', () => {
    for (const [bin, args] of HELPS) {
      const narrow = text(bin, args, 80);
      const wide = text(bin, args, 200);
      const what = `${bin.split('/').pop()} ${args.join(' ')}`;
      for (const line of narrow.split('\n')) expect(line.length, `${what}: ${line}`).toBeLessThanOrEqual(80);
      for (const line of wide.split('\n')) expect(line.length, `${what}: ${line}`).toBeLessThanOrEqual(120);
      // A word cut in two at 80 columns (a standard terminal) would be a word that the 120-column help does not have.
      const whole = words(wide);
      const cut = [...words(narrow)].filter((w) => !whole.has(w));
      expect(cut, `${what} at 80 columns:\n${narrow}`).toEqual([]);
    }
  });

  it('describes every option and command, each description capitalised', () => {
    for (const [bin, args] of HELPS) {
      const wide = text(bin, args, 200);
      const what = `${bin.split('/').pop()} ${args.join(' ')}`;
      const entries = wide
        .split('\n')
        .map((l) => /^ {2,6}(?:-\w, )?(--[\w-]+|traffic-\w+ [\w-]+(?: <\w+>)?)\s{2,}(\S.*)$/.exec(l))
        .filter((m) => m !== null);
      expect(entries.length, what).toBeGreaterThan(1);
      for (const [, name, rest] of entries)
        expect(rest, `${what}: ${name} has no capitalised description`).toMatch(/^[A-Z]/);
    }
  });
});
