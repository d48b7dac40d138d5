/** Config: one schema with the defaults, every problem reported with its key path, collector.example.json in sync. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig, validateConfig } from '../../src/collector/config.js';

describe('collector config', () => {
  it('collector.example.json holds every default', () => {
    const example = JSON.parse(readFileSync(new URL('../../collector.example.json', import.meta.url), 'utf8'));
    expect(example).toEqual(defaultConfig());
    expect(Object.isFrozen(defaultConfig())).toBe(true);
  });

  it('reports every problem with its key path', () => {
    const err = (() => {
      try {
        validateConfig({
          listen: 'localhost',
          heartbeatIntervalSec: 0,
          timezone: 'Mars/Base',
          logLevel: 'loud',
          bogus: 1,
          hearbeatIntervalSec: 10,
          offlineAfterIntervals: '3',
        });
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.problems.filter((p) => p.includes('equal to constant'))).toEqual([]);
    expect(err.problems).toEqual(
      expect.arrayContaining([
        'listen: must be HOST:PORT',
        'heartbeatIntervalSec: must be >= 1 (got 0)',
        'timezone: unknown IANA time zone "Mars/Base"',
        'logLevel: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
        'bogus: is not a known setting',
        'hearbeatIntervalSec: is not a known setting (did you mean heartbeatIntervalSec?)',
        'offlineAfterIntervals: must be integer (got "3")',
      ]),
    );
  });

  it('checks the anomaly alert rule like the other rules: known scopes and kinds, named channels', () => {
    const problems = (alerts: unknown) => {
      try {
        validateConfig({ alertChannels: [{ name: 'ops', url: 'https://example.net/hook' }], alerts });
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };
    expect(problems({ anomalies: { enabled: true, channels: ['ops'], kinds: ['spike'] } })).toEqual([]);
    const bad = problems({
      anomalies: { enabled: 'yes', scopes: ['node-weekly'], everySec: 0, channels: ['pager'], bogus: 1 },
    });
    expect(bad).toEqual(
      expect.arrayContaining([
        'alerts.anomalies.channels: no channel named "pager"',
        'alerts.anomalies.bogus: is not a known setting',
      ]),
    );
    expect(bad.some((p) => p.startsWith('alerts.anomalies.enabled:'))).toBe(true);
    expect(bad.some((p) => p.startsWith('alerts.anomalies.scopes.0:'))).toBe(true);
    expect(bad.some((p) => p.startsWith('alerts.anomalies.everySec:'))).toBe(true);
  });

  it('layers file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-cfg-'));
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({ listen: '127.0.0.1:9000', adminToken: 'from-the-file-123456', timezone: 'Asia/Tokyo' }),
    );
    const cfg = loadConfig({
      file,
      env: { TRAFFIC_COLLECTOR_ADMIN_TOKEN: 'from-the-env-1234567' },
      overrides: { listen: '[::1]:9001', db: undefined },
    });
    expect(cfg).toMatchObject({
      listen: '[::1]:9001',
      adminToken: 'from-the-env-1234567',
      timezone: 'Asia/Tokyo',
      db: './data/collector.db',
    });
    writeFileSync(file, '{"listen": ');
    expect(() => loadConfig({ file, env: {} })).toThrow(/not valid JSON/);
  });
});
