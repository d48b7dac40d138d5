/**
 * The real collector for the dashboard tests: test/support/collector-process.ts starts the binary (rebuilding
 * dist/collector when it is older than the sources); here the dashboard bundle is rebuilt too (well under a second).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCollectorBuilt, ROOT } from '../../support/collector-process.js';

export { startCollector, type CollectorProcess } from '../../support/collector-process.js';
export const REPO = ROOT;

export async function ensureBuilt(): Promise<void> {
  await ensureCollectorBuilt();
  execFileSync(process.execPath, [join(REPO, 'scripts/build-dashboard.mjs')], { cwd: REPO, stdio: 'pipe' });
}

export function tempDir(prefix = 'dashboard-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
