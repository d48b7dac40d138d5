/**
 * Schema v7 keeps each per-user row's raw (unrated) bytes beside the rated ones, for reports with rate=raw. Rows
 * stored before v7 know them only when their rate was 1 (then raw = rated, filled in by the migration); any other
 * old row's raw bytes are unknown, stay unknown when a new push adds to the same row, and a rate=raw report over a
 * range holding one is refused naming the day, never guessed. On both engines.
 */
import { describe, expect, it } from 'vitest';
import { CollectorError } from '../../src/collector/errors.js';
import { PushEntries } from '../../src/collector/push-entries.js';
import { makeReport } from '../../src/collector/reports/make-report.js';
import type { Store } from '../../src/collector/store/store.js';
import { PG_SKIP_REASON } from '../support/pg.js';
import { upgradePostgres, upgradeSqlite } from './upgrade-harness.js';

const DAY = 86_400;
const D1 = Date.UTC(2026, 2, 10) / 1000; // 2026-03-10: an old row at rate 1
const D2 = D1 + DAY; // 2026-03-11: an old row at rate 1.5
const D3 = D2 + DAY; // 2026-03-12: new rows only
// Old rows as a pre-v7 collector wrote them (rated bytes only).
const OLD_ROWS = `
INSERT INTO nodes (id, name, token_hash, rate, reset_day, timezone, created_at) VALUES (1, 'one', '\\x01', '1', 1, 'UTC', 0);
INSERT INTO nodes (id, name, token_hash, rate, reset_day, timezone, created_at) VALUES (2, 'rated', '\\x02', '1.5', 1, 'UTC', 0);
INSERT INTO stat_user (user_id, server_id, server_rate, u, d, record_type, record_at, created_at, updated_at)
  VALUES (7, 1, '1', 100, 200, 'd', ${D1}, 0, 0), (7, 2, '1.5', 150, 300, 'd', ${D2}, 0, 0);
`;

async function report(s: Store, from: string, to: string, rate: 'applied' | 'raw') {
  const r = await makeReport(s, { from, to, by: 'user-node', rate, format: 'json', timezone: 'UTC' });
  let text = '';
  for await (const chunk of r.chunks) text += chunk;
  return (
    JSON.parse(text) as { rows: Array<{ userId: number; nodeId: number; upload: string; download: string }> }
  ).rows.map((x) => [x.userId, x.nodeId, x.upload, x.download]);
}

async function checkUpgraded(s: Store): Promise<void> {
  // The rate-1 row knows its raw bytes; the rate-1.5 one does not.
  expect(await s.lastDayWithoutRaw(D1, D2)).toBeNull();
  expect(await s.lastDayWithoutRaw(D1, D3 + DAY)).toBe(D2);
  expect(await report(s, '2026-03-10', '2026-03-10', 'raw')).toEqual([[7, 1, '100', '200']]);
  const refused = await report(s, '2026-03-10', '2026-03-12', 'raw').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(CollectorError);
  expect((refused as CollectorError).code).toBe('TC_BAD_REPORT');
  expect((refused as CollectorError).message).toContain('up to 2026-03-11');

  // New pushes at rate 1.5 keep both: the raw as measured, the rated floored as the panel books it.
  const push = async (recordAt: number, body: Record<string, [number, number]>, seq: number) => {
    const entries = new PushEntries();
    for (const [k, v] of Object.entries(body)) entries.set(k, v);
    const parsed = await entries.finish('1.5', undefined);
    if (parsed === 'too-large') throw new Error('bad push');
    return s.pushUserTraffic({
      nodeId: 2,
      rate: '1.5',
      recordAt,
      rows: parsed.rows,
      raw: parsed.raw,
      digest: parsed.digest,
      idempotencyKey: `2:00000000000000a7:${seq}`,
      receivedAt: Date.UTC(2026, 2, 13) + seq,
    });
  };
  expect(await push(D3, { 7: [11, 21], 8: [3, 0] }, 1)).toEqual({ applied: true });
  expect(await push(D3, { 7: [1, 1] }, 2)).toEqual({ applied: true });
  expect(await report(s, '2026-03-12', '2026-03-12', 'applied')).toEqual([
    [7, 2, '17', '32'], // floor(11 x 1.5) + floor(1 x 1.5), floor(21 x 1.5) + floor(1 x 1.5)
    [8, 2, '4', '0'],
  ]);
  expect(await report(s, '2026-03-12', '2026-03-12', 'raw')).toEqual([
    [7, 2, '12', '22'],
    [8, 2, '3', '0'],
  ]);
  // A push adding to the old rate-1.5 row: its raw stays unknown (a part of that day was never measured raw).
  expect(await push(D2, { 7: [2, 2] }, 3)).toEqual({ applied: true });
  expect(await s.lastDayWithoutRaw(D2, D3)).toBe(D2);
  expect(await report(s, '2026-03-11', '2026-03-11', 'applied')).toEqual([[7, 2, '153', '303']]);
  // Raw sums are guarded like rated ones: a push that would carry a raw row past 2^63-1 is refused whole.
  const max = (1n << 63n) - 1n;
  const big = { nodeId: 2, rate: '0.5', recordAt: D3, rows: [[9, 1n, 1n]] as Array<[number, bigint, bigint]> };
  await s.pushUserTraffic({ ...big, raw: { u: BigInt64Array.of(max - 5n), d: BigInt64Array.of(2n) }, receivedAt: 1 });
  const over = await s
    .pushUserTraffic({ ...big, raw: { u: BigInt64Array.of(6n), d: BigInt64Array.of(2n) }, receivedAt: 2 })
    .catch((e: unknown) => e);
  expect((over as CollectorError).code).toBe('TC_USER_COUNTER_OVERFLOW');
  expect(await report(s, '2026-03-12', '2026-03-12', 'raw')).toContainEqual([9, 2, String(max - 5n), '2']);
  // A range of whole raw-known days is answered.
  expect(await report(s, '2026-03-12', '2026-03-13', 'raw')).toEqual([
    [7, 2, '12', '22'],
    [8, 2, '3', '0'],
    [9, 2, String(max - 5n), '2'],
  ]);
}

describe('upgrading to schema v7 (raw per-user bytes)', () => {
  it('SQLite: old rate-1 rows know their raw bytes, other old rows do not, and rate=raw says so', async () => {
    await upgradeSqlite(6, OLD_ROWS, checkUpgraded);
  });

  it.skipIf(Boolean(PG_SKIP_REASON))(
    'PostgreSQL: old rate-1 rows know their raw bytes, other old rows do not, and rate=raw says so',
    async () => {
      await upgradePostgres(6, OLD_ROWS, checkUpgraded);
    },
  );
});
