/**
 * The collector binary prunes the alert ledger with its other pruning (at start, then every pruneIntervalSec):
 * settled alerts older than alerts.retentionDays go, the newest offline alert of a node stays. The store's rules
 * are in the shared contract (test/collector/quota-store-contract.ts); this is the wiring and the config key.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/collector/store/sqlite/sqlite-store.js';
import { startCollector } from '../support/collector-process.js';

const DAY = 86_400_000;

describe('collector alert ledger pruning', () => {
  it('deletes settled alerts past alerts.retentionDays at start, keeping the newest offline alert of a node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tc-alert-prune-'));
    const db = join(dir, 'c.db');
    const store = await SqliteStore.open(db);
    const now = Date.now();
    const fire = (key: string, kind: 'event' | 'offline', firedAt: number) =>
      store.quotas.fireAlert(
        { key, kind, nodeId: 7, poolId: null, quotaId: null, payload: JSON.stringify({ id: key }), firedAt },
        [],
      );
    await fire('event:7:a:1:reboot', 'event', now - 40 * DAY);
    await fire('event:7:a:2:reboot', 'event', now - 20 * DAY);
    await fire('offline:7:1', 'offline', now - 50 * DAY);
    await fire('offline:7:2', 'offline', now - 45 * DAY);
    await store.close();

    const c = await startCollector({ db, config: { logLevel: 'info', alerts: { retentionDays: 30 } } });
    try {
      await expect.poll(() => c.output(), { timeout: 15_000 }).toContain('pruned settled alerts');
      expect(c.output()).toContain('"alerts":2');
    } finally {
      await c.stop({ keepData: true });
    }
    const after = await SqliteStore.open(db);
    try {
      expect((await after.quotas.listAlerts(10)).map((a) => a.key)).toEqual(['offline:7:2', 'event:7:a:2:reboot']);
    } finally {
      await after.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a retention under 7 days, naming the key', async () => {
    await expect(startCollector({ config: { alerts: { retentionDays: 1 } } })).rejects.toThrow(/alerts\.retentionDays/);
  });
});
