/**
 * Upgrading a v3 database (records and push keys stored before digests existed) to v4 must not turn an agent's
 * ordinary resend into a conflict: every seq held before the upgrade is "unverifiable" (acknowledged as an unverified
 * duplicate), on both engines. A conflict stuck at 409 after an upgrade would stall every agent.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/collector/store/store.js';
import { PG_SKIP_REASON } from '../support/pg.js';
import { upgradePostgres, upgradeSqlite } from './upgrade-harness.js';
import { hb, rec } from './store-contract.js';

const T0 = Date.UTC(2026, 2, 15, 12);
const V3_ROWS = `
INSERT INTO nodes (id, name, token_hash, rate, reset_day, timezone, created_at) VALUES (1, 'old', '\\x01', '1', 1, 'UTC', 0);
INSERT INTO traffic_stats (node_id, total_rx, period_start, period_end) VALUES (1, 30, 0, 99999999999999);
INSERT INTO traffic_records (node_id, epoch, seq, from_ms, to_ms, rx, tx, events, received_at)
  VALUES (1, '00000000000000f1', 3, ${T0 - 1000}, ${T0}, 10, 0, NULL, ${T0});
INSERT INTO epoch_high_water (node_id, epoch, seq, updated_at) VALUES (1, '00000000000000f1', 3, ${T0});
INSERT INTO push_keys (node_id, key, applied_at) VALUES (1, '1:00000000000000f1:3', ${T0});
INSERT INTO push_high_water (node_id, epoch, seq) VALUES (1, '00000000000000f1', 3);
`;

async function checkUpgraded(s: Store): Promise<void> {
  const e = '00000000000000f1';
  // Seq 3 is held without a digest; seqs 1 and 2 were pruned before the upgrade: all three are unverified duplicates.
  expect(await s.ingestHeartbeat(1, hb(e, [rec(1, 10, 0), rec(2, 10, 0), rec(3, 10, 0)]), T0)).toEqual({
    acked: [1, 2, 3],
    duplicates: 3,
    inserted: 0,
    unverified: 3,
  });
  expect(await s.ingestHeartbeat(1, hb(e, [rec(4, 5, 0)]), T0)).toMatchObject({ inserted: 1 });
  expect((await s.ingestHeartbeat(1, hb(e, [rec(4, 6, 0)]), T0)).conflict).toEqual({
    seq: 4,
    reason: 'different-contents',
  });
  const push = {
    nodeId: 1,
    rate: '1',
    recordAt: 0,
    rows: [[7, 1n, 1n]] as Array<[number, bigint, bigint]>,
    receivedAt: T0,
  };
  expect(await s.pushUserTraffic({ ...push, idempotencyKey: `1:${e}:3` })).toEqual({
    applied: false,
    unverified: true,
  });
  expect(await s.pushUserTraffic({ ...push, idempotencyKey: `1:${e}:2` })).toEqual({
    applied: false,
    unverified: true,
  });
  expect(await s.pushUserTraffic({ ...push, idempotencyKey: `1:${e}:4` })).toEqual({ applied: true });
  expect((await s.getNodeStats(1))?.totalRx).toBe(35n);
}

describe('upgrading a v3 database to v4 (digests)', () => {
  it('SQLite: rows from before the upgrade are unverifiable, not conflicts', async () => {
    await upgradeSqlite(3, V3_ROWS, checkUpgraded);
  });

  it.skipIf(Boolean(PG_SKIP_REASON))(
    'PostgreSQL: rows from before the upgrade are unverifiable, not conflicts',
    async () => {
      await upgradePostgres(3, V3_ROWS, checkUpgraded);
    },
  );
});
