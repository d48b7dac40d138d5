/** Every error code is defined once (errors.ts) and documented in ERRORS.md with its HTTP status. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode } from '../../src/collector/errors.js';

const doc = readFileSync(new URL('../../src/collector/ERRORS.md', import.meta.url), 'utf8');
const documented = new Map([...doc.matchAll(/^\| `(TC_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]));

describe('error codes', () => {
  it.each(Object.keys(ERRORS) as ErrorCode[])('%s is documented with its status', (code) => {
    expect(documented.get(code)).toBe(ERRORS[code].status);
  });
  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) expect(Object.keys(ERRORS)).toContain(code);
  });
});
