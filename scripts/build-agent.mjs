#!/usr/bin/env node
/**
 * npm run build:agent: the agent as one file for linux-x64, and its Debian package.
 *
 *   1. esbuild bundles src/agent/sea/entry.ts (the CLI, every lazily imported module included) into one CommonJS file,
 *      and src/agent/sea/launch.ts (sets the V8 flags, then runs that bundle) into another;
 *   2. Node's single executable application: `node --experimental-sea-config` makes the blob (launch.ts as the main
 *      script; assets: the agent's bundle, the StatsService .proto files, the unix-dgram addon, the drop_pages addon
 *      (compiled here with cc from src/agent/native/drop-pages.c), the config and unit templates),
 *      `postject` injects it into a copy of this machine's node binary -> build/agent/traffic-agent;
 *   3. dpkg-deb packs build/agent/traffic-agent_<version>_amd64.deb (no network): /usr/bin/traffic-agent, the unit,
 *      /etc/traffic-agent/config.json (a conffile), the state directory, docs and maintainer scripts (debian/).
 *
 * Options: --out DIR (default build/agent), --version V (default package.json's), --no-deb,
 *          --deb-only (pack a .deb around an already built DIR/traffic-agent).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({
  options: {
    out: { type: 'string', default: join(root, 'build', 'agent') },
    version: { type: 'string' },
    'no-deb': { type: 'boolean', default: false },
    'deb-only': { type: 'boolean', default: false },
  },
});
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = opts.version ?? pkg.version;
if (!/^[0-9][A-Za-z0-9.+~-]*$/.test(version)) throw new Error(`build-agent: bad version ${JSON.stringify(version)}`);
const out = resolve(opts.out);
const binary = join(out, 'traffic-agent');
mkdirSync(out, { recursive: true });

if (process.platform !== 'linux' || process.arch !== 'x64')
  throw new Error(`build-agent: builds for linux-x64 on linux-x64 only (this is ${process.platform}-${process.arch})`);

const assets = {
  'traffic-agent.cjs': join(out, 'traffic-agent.cjs'),
  'v2ray-stats.proto': join(root, 'src/agent/sources/proxy-stats/proto/v2ray-stats.proto'),
  'xray-stats.proto': join(root, 'src/agent/sources/proxy-stats/proto/xray-stats.proto'),
  'unix_dgram.node': join(dirname(require.resolve('unix-dgram/package.json')), 'build/Release/unix_dgram.node'),
  'drop_pages.node': join(out, 'drop_pages.node'),
  'config.example.json': join(root, 'config.example.json'),
  'traffic-agent.service': join(root, 'systemd/traffic-agent.service'),
};

if (!opts['deb-only']) {
  compileDropPagesAddon(assets['drop_pages.node']);
  const esbuild = await import('esbuild');
  const bundle = assets['traffic-agent.cjs'];
  // Both bundles (the agent's and the main script that runs it) are minified CommonJS for this node. Minified: V8
  // keeps the whole source in memory (and parses all of it at start); 4.3 MB of source with a few non-Latin-1
  // characters in comments was held as an 8.5 MB two-byte string.
  const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  };
  const result = await esbuild.build({
    ...common,
    entryPoints: [join(root, 'src/agent/sea/entry.ts')],
    outfile: bundle,
    // keepNames keeps class and function names (error names, stack traces) as written.
    keepNames: true,
    metafile: true,
    define: {
      __TRAFFIC_AGENT_VERSION__: JSON.stringify(version),
      // import.meta is empty in CommonJS: the executable's own URL (only used for paths that the SEA branches avoid).
      'import.meta.url': '__traffic_agent_url',
    },
    banner: { js: "var __traffic_agent_url = require('node:url').pathToFileURL(process.execPath).href;" },
    plugins: [
      {
        // `const require = createRequire(import.meta.url)` (src/common/cli-help.ts loads yargs' CommonJS entry that
        // way) would make require() look for node_modules beside the executable at run time. Without that line,
        // require() is the bundle's own and esbuild bundles what it names (with the same `require` conditions).
        name: 'bundled-require',
        setup(build) {
          const line = /^const require = createRequire\(import\.meta\.url\);$/m;
          build.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
            const text = readFileSync(args.path, 'utf8');
            if (!line.test(text)) return undefined;
            return { contents: text.replace(line, "// (bundled: require() is the bundle's own)"), loader: 'ts' };
          });
        },
      },
      {
        // unix-dgram finds its addon through `bindings` (a search of node_modules): the executable loads the embedded
        // copy instead (src/agent/sea/sea-assets.ts).
        name: 'embedded-addon',
        setup(build) {
          build.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'embedded-addon' }));
          build.onLoad({ filter: /.*/, namespace: 'embedded-addon' }, () => ({
            contents:
              "const { loadSeaAddon } = require('./src/agent/sea/sea-assets.ts');\n" +
              'module.exports = (name) => loadSeaAddon(name.endsWith(".node") ? name : `${name}.node`);\n',
            resolveDir: root,
            loader: 'js',
          }));
        },
      },
    ],
  });
  // The main script: sets the V8 flags before the agent's bundle is compiled (src/agent/sea/launch.ts says why).
  const launcher = join(out, 'launch.cjs');
  await esbuild.build({ ...common, entryPoints: [join(root, 'src/agent/sea/launch.ts')], outfile: launcher });
  const inputs = Object.keys(result.metafile.inputs).length;
  // What each module adds to the bundle: `npx esbuild --analyze` style reading, or https://esbuild.github.io/analyze/.
  writeFileSync(join(out, 'traffic-agent.meta.json'), JSON.stringify(result.metafile));
  const seaConfig = join(out, 'sea-config.json');
  writeFileSync(
    seaConfig,
    JSON.stringify(
      {
        main: launcher,
        output: join(out, 'sea-prep.blob'),
        disableExperimentalSEAWarning: true,
        // No code cache: V8 rejects it whenever the process's V8 flags differ from the build's (the unit's
        // NODE_OPTIONS do), and it only ever saved start-up time, never the per-tick CPU or memory.
        useCodeCache: false,
        assets,
      },
      null,
      2,
    ),
  );
  execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(binary, { force: true });
  copyFileSync(process.execPath, binary);
  chmodSync(binary, 0o755);
  // Debian's and NodeSource's node carry debug info and symbols: about 12 MB that no node needs.
  try {
    execFileSync('strip', ['--strip-all', binary], { stdio: 'pipe' });
  } catch (err) {
    console.warn(`build-agent: not stripped (${err.message.split('\n')[0]}); install binutils for a smaller file`);
  }
  const injected = spawnSync(
    process.execPath,
    [
      require.resolve('postject/dist/cli.js'),
      binary,
      'NODE_SEA_BLOB',
      join(out, 'sea-prep.blob'),
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    { encoding: 'utf8' },
  );
  // postject warns about every ELF note section it cannot name; those lines only matter when it fails.
  if (injected.status !== 0)
    throw new Error(`postject failed (${injected.status}):\n${injected.stderr}${injected.stdout}`);
  const mib = (statSync(binary).size / 2 ** 20).toFixed(1);
  console.log(`${binary}: ${mib} MiB (Node ${process.version}, ${inputs} bundled modules, version ${version})`);
}

if (!opts['no-deb']) {
  const { buildDeb } = await import('./build-deb.mjs');
  const deb = buildDeb({ root, binary, version, out });
  console.log(`${deb}: ${(statSync(deb).size / 2 ** 20).toFixed(1)} MiB`);
}

/**
 * src/agent/native/drop-pages.c -> drop_pages.node (src/agent/daemon/resident-pages.ts): N-API only, so `cc` against the
 * headers of the node that builds (the same node the executable embeds) is enough: no node-gyp, no network.
 */
function compileDropPagesAddon(target) {
  const candidates = [
    join(dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
    // node-gyp's download of them (any npm install that compiled an addon from source)
    join(process.env.HOME ?? '/root', '.cache', 'node-gyp', process.versions.node, 'include', 'node'),
  ];
  const include = candidates.find((dir) => {
    try {
      return statSync(join(dir, 'node_api.h')).isFile();
    } catch {
      return false;
    }
  });
  if (include === undefined)
    throw new Error(
      `build-agent: node_api.h not found in ${candidates.join(', ')} (the node headers: Debian's nodejs package and the nodejs.org tarballs have them)`,
    );
  // $CC may be a command line ("ccache gcc"), as make takes it.
  const [cc, ...ccArgs] = (process.env.CC?.trim() || 'cc').split(/\s+/);
  const source = join(root, 'src/agent/native/drop-pages.c');
  const args = [...ccArgs, '-O2', '-Wall', '-Wextra', '-shared', '-fPIC', '-I', include, '-o', target, source];
  const built = spawnSync(cc, args, { encoding: 'utf8' });
  if (built.error) throw new Error(`build-agent: cannot run ${cc} (install gcc): ${built.error.message}`);
  if (built.status !== 0) throw new Error(`build-agent: ${cc} ${args.join(' ')} failed:\n${built.stderr}`);
}
