/**
 * Loads our own StatsService .proto files (one per core: V2Ray/v2fly and Xray) with @grpc/proto-loader.
 *
 * The .proto files live in src/agent/sources/proxy-stats/proto/ and tsc does not copy them into dist/.
 * Both this module's source (src/agent/sources/proxy-stats/) and its build output (dist/agent/sources/proxy-stats/)
 * sit four levels below the package root, so the files are found from the package root in both cases;
 * package.json "files" must therefore list "src/agent/sources/proxy-stats/proto/".
 */
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { isSea, withSeaAssetFiles } from '../../sea/sea-assets.js';

export type ProxyStatsApi = 'v2ray' | 'xray';

export const PROXY_STATS_APIS: readonly ProxyStatsApi[] = Object.freeze(['v2ray', 'xray']);

/** The protobuf package that each core serves StatsService under. */
export const STATS_PACKAGES: Readonly<Record<ProxyStatsApi, string>> = Object.freeze({
  v2ray: 'v2ray.core.app.stats.command',
  xray: 'xray.app.stats.command',
});

const PROTO_FILES: Readonly<Record<ProxyStatsApi, string>> = Object.freeze({
  v2ray: 'v2ray-stats.proto',
  xray: 'xray-stats.proto',
});

/** The proto folder, from the URL of this module whether it runs from src/ or from dist/. */
export function protoDirFor(moduleUrl: string | URL): string {
  return fileURLToPath(new URL('../../../../src/agent/sources/proxy-stats/proto/', moduleUrl));
}

export interface StatWire {
  name: string;
  /** int64 as a decimal string (proto-loader `longs: String`), so values above 2^53 stay exact. */
  value: string;
}
export interface QueryStatsResponseWire {
  stat: StatWire[];
}
export interface SysStatsResponseWire {
  Uptime: number;
}

export interface StatsMethods {
  queryStats: protoLoader.MethodDefinition<{ pattern: string; reset: boolean }, QueryStatsResponseWire>;
  getSysStats: protoLoader.MethodDefinition<Record<string, never>, SysStatsResponseWire>;
}

const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

const cache = new Map<ProxyStatsApi, StatsMethods>();

/** The two StatsService methods we call, with their paths and (de)serializers, for one core's package. */
export function statsMethods(api: ProxyStatsApi): StatsMethods {
  const known = cache.get(api);
  if (known) return known;
  const load = (protoDir: string) =>
    protoLoader.loadSync(PROTO_FILES[api], { ...LOADER_OPTIONS, includeDirs: [protoDir] });
  // The single executable carries the .proto files as assets (src/agent/sea/sea-assets.ts).
  const definition = isSea() ? withSeaAssetFiles([PROTO_FILES[api]], load) : load(protoDirFor(import.meta.url));
  const service = definition[`${STATS_PACKAGES[api]}.StatsService`];
  if (!service || !('QueryStats' in service) || !('GetSysStats' in service)) {
    throw new Error(`${PROTO_FILES[api]} does not define ${STATS_PACKAGES[api]}.StatsService`);
  }
  const methods = {
    queryStats: service['QueryStats'],
    getSysStats: service['GetSysStats'],
  } as unknown as StatsMethods;
  cache.set(api, methods);
  return methods;
}
