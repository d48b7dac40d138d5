/** esbuild only strips types: the browser code is type-checked here, against the DOM library, strict. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO } from './support/collector.js';

it('src/dashboard/web type-checks (tsc -p src/dashboard/web/tsconfig.json)', () => {
  const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
  let out = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', 'src/dashboard/web/tsconfig.json'], {
      cwd: REPO,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (err) {
    out = String((err as { stdout?: string }).stdout ?? err);
  }
  expect(out).toBe('');
});
