import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { protoDirFor, statsMethods } from '../../../src/agent/sources/proxy-stats/stats-proto.js';

describe('stats-proto', () => {
  it('finds the .proto files from the package root whether the module runs from src/ or dist/', () => {
    const expected = '/pkg/src/agent/sources/proxy-stats/proto/';
    expect(protoDirFor('file:///pkg/src/agent/sources/proxy-stats/stats-proto.ts')).toBe(expected);
    expect(protoDirFor('file:///pkg/dist/agent/sources/proxy-stats/stats-proto.js')).toBe(expected);
    const here = protoDirFor(new URL('../../../src/agent/sources/proxy-stats/stats-proto.ts', import.meta.url));
    expect(existsSync(join(here, 'v2ray-stats.proto'))).toBe(true);
    expect(existsSync(join(here, 'xray-stats.proto'))).toBe(true);
  });

  it("calls StatsService under each core's package name", () => {
    expect(statsMethods('v2ray').queryStats.path).toBe('/v2ray.core.app.stats.command.StatsService/QueryStats');
    expect(statsMethods('v2ray').getSysStats.path).toBe('/v2ray.core.app.stats.command.StatsService/GetSysStats');
    expect(statsMethods('xray').queryStats.path).toBe('/xray.app.stats.command.StatsService/QueryStats');
    expect(statsMethods('xray').getSysStats.path).toBe('/xray.app.stats.command.StatsService/GetSysStats');
  });

  it('carries int64 values as exact decimal strings, above 2^53 too', () => {
    const { queryStats } = statsMethods('xray');
    const wire = queryStats.responseSerialize({
      stat: [{ name: 'user>>>1>>>traffic>>>downlink', value: '9007199254740993' }],
    });
    expect(queryStats.responseDeserialize(wire)).toEqual({
      stat: [{ name: 'user>>>1>>>traffic>>>downlink', value: '9007199254740993' }],
    });
    const request = queryStats.requestDeserialize(queryStats.requestSerialize({ pattern: 'user>>>', reset: false }));
    expect(request).toEqual({ pattern: 'user>>>', reset: false });
  });
});
