#!/usr/bin/env node
// Bundles the dashboard (src/dashboard/web) into dist/dashboard: index.html, favicon.ico, app.js, app.css (uPlot's CSS
// included), and uPlot's code as a chunk app.js imports on the first chart.
// esbuild only strips types; `npx tsc -p src/dashboard/web/tsconfig.json` type-checks (test/dashboard runs it).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/dashboard/web');
const out = join(root, 'dist/dashboard');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const result = await build({
  entryPoints: { app: join(src, 'main.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  // uPlot goes in its own chunk, loaded when a chart is first opened; fixed names, no hashes.
  splitting: true,
  chunkNames: '[name]',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: true,
  // No source maps in the package: the served dashboard is the minified bundle only (issue 10).
  sourcemap: false,
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
});
for (const f of ['index.html', 'favicon.ico']) copyFileSync(join(src, f), join(out, f));
const sizes = Object.entries(result.metafile.outputs)
  .filter(([f]) => !f.endsWith('.map'))
  .map(([f, o]) => `${f.split('/').pop()} ${(o.bytes / 1024).toFixed(1)} KiB`);
console.log(`build-dashboard: dist/dashboard (${sizes.join(', ')})`);
