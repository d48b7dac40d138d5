#!/usr/bin/env node
// `npm test`'s pretest: on a fresh clone, install the locked dependencies, then build the binaries the
// end-to-end tests run. Plain Node, no dependencies, so it works before `npm ci`.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const run = (cmd) => execSync(cmd, { stdio: 'inherit' });
if (!existsSync('node_modules/.package-lock.json') || !existsSync('node_modules/vitest')) {
  console.log('test-setup: node_modules missing, running npm ci');
  run('npm ci');
}
run('npx tsc -p tsconfig.json');
run('node scripts/build-dashboard.mjs');
// vitest only strips types: check the tests and benches as strictly as the sources.
run('npx tsc -p tsconfig.test.json');
// The import graph: no cycles, a pure core, agent and collector apart (.dependency-cruiser.cjs).
run('npm run --silent deps');
// Format and lint (Biome): a lint error fails npm test, as it fails CI.
run('npx biome check .');
