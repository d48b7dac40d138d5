/**
 * The agent's error codes form one closed table (src/agent/errors.ts), documented in src/agent/ERRORS.md with its exit
 * status, and no code is written as a bare string anywhere else in the agent's sources.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AGENT_ERRORS, type AgentErrorCode } from '../../src/agent/errors.js';

const doc = readFileSync(new URL('../../src/agent/ERRORS.md', import.meta.url), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `([A-Z][A-Z_]+)` \| (\d+) \|/gm)].map((m) => [m[1], Number(m[2])]));
const codes = Object.keys(AGENT_ERRORS) as AgentErrorCode[];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

describe('agent error codes', () => {
  it.each(codes)('%s is documented with its exit status', (code) => {
    expect(documented.get(code)).toBe(AGENT_ERRORS[code].exit);
  });

  it('documents no code that does not exist', () => {
    expect(documented.size).toBeGreaterThan(0);
    for (const code of documented.keys()) expect(codes).toContain(code);
  });

  it('no source outside the table writes a code the table does not have', () => {
    const root = fileURLToPath(new URL('../../src/', import.meta.url));
    const strays: string[] = [];
    for (const file of [...sources(join(root, 'agent')), ...sources(join(root, 'ops'))]) {
      if (file.endsWith('/agent/errors.ts')) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bcode\s*:\s*['"`]([A-Za-z_]+)['"`]/g)) {
        if (!(codes as string[]).includes(m[1])) strays.push(`${file}: ${m[1]}`);
      }
    }
    expect(strays).toEqual([]);
  });
});
