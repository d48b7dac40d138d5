/**
 * Files the single executable (npm run build:agent, scripts/build-agent.mjs) carries as SEA assets, and how they are
 * reached. From the npm package (dist/) isSea() is false and every caller keeps reading its files from the package.
 *
 * A single executable cannot require() a file or a native addon, so files that a library must open by path (the
 * StatsService .proto files for @grpc/proto-loader, the unix-dgram addon for process.dlopen) are written to a private
 * temporary folder (mkdtemp, 0700) for as long as they are read, and removed right after. The drop_pages addon
 * is built by scripts/build-agent.mjs from src/agent/native/drop-pages.c.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { errorMessage } from '../../common/error-message.js';

export { isSea };

/** The asset names scripts/build-agent.mjs embeds (the file's base name). */
export const SEA_ASSETS = Object.freeze({
  /** The agent itself (entry.ts bundled), compiled and run by the executable's main script, launch.ts. */
  agentBundle: 'traffic-agent.cjs',
  v2rayProto: 'v2ray-stats.proto',
  xrayProto: 'xray-stats.proto',
  unixDgramAddon: 'unix_dgram.node',
  dropPagesAddon: 'drop_pages.node',
  configTemplate: 'config.example.json',
  unitTemplate: 'traffic-agent.service',
});

export function seaText(name: string): string {
  return getAsset(name, 'utf8');
}

/**
 * Writes the named assets into a fresh private folder under each candidate parent in turn (the first one where `use`
 * succeeds wins: a parent mounted noexec fails process.dlopen, so the next one is tried), calls `use(folder)`, and
 * removes the folder whatever happens. A dlopen'ed library stays mapped after its file is removed.
 */
export function withSeaAssetFiles<T>(
  names: readonly string[],
  use: (dir: string) => T,
  parents: readonly string[] = assetParents(),
): T {
  const failures: string[] = [];
  for (const parent of parents) {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(parent, 'traffic-agent-'));
      for (const name of names) writeFileSync(join(dir, name), new Uint8Array(getAsset(name)), { mode: 0o600 });
      return use(dir);
    } catch (err) {
      failures.push(`${parent}: ${errorMessage(err)}`);
    } finally {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }
  throw new Error(`cannot use the embedded ${names.join(', ')}: ${failures.join('; ')}`);
}

/** $RUNTIME_DIRECTORY (when systemd gave one), then $TMPDIR or /tmp. */
function assetParents(): string[] {
  const parents = [process.env.RUNTIME_DIRECTORY?.split(':')[0], tmpdir()].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  return [...new Set(parents)];
}

/** Loads the native addon embedded under `name` (e.g. unix_dgram.node) and returns its exports. */
export function loadSeaAddon(name: string): unknown {
  return withSeaAssetFiles([name], (dir) => {
    const module = { exports: {} as unknown };
    process.dlopen(module, join(dir, name));
    return module.exports;
  });
}
