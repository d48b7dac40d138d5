import { expect, it } from 'vitest';
import { hb, rec, storeContract } from './store-contract.js';
import { storeLoadContract } from './store-contract-load.js';
import { sqliteHarness } from './store-harness.js';
import { hashToken } from '../../src/collector/tokens.js';

storeContract('SQLite', sqliteHarness);
storeLoadContract('SQLite', sqliteHarness);

it('SQLite group commit: when one heartbeat rolls back the whole batch transaction, each is applied again alone', async () => {
  const h = await sqliteHarness();
  try {
    const s = h.store;
    const nodes = [];
    for (let i = 0; i < 3; i++)
      nodes.push(
        await s.addNode({
          name: `g${i}`,
          tokenHash: hashToken(`g-${i}`),
          rate: '1',
          resetDay: 1,
          timezone: 'UTC',
          createdAt: 1,
        }),
      );
    // RAISE(ROLLBACK) ends the whole transaction, not just the statement: the batch is lost as a whole.
    await h.exec(
      `CREATE TRIGGER tc_rollback BEFORE INSERT ON traffic_hourly WHEN NEW.node_id = ${nodes[1].id} BEGIN SELECT RAISE(ROLLBACK, 'whole'); END`,
    );
    const results = await Promise.allSettled(
      nodes.map((n) => s.ingestHeartbeat(n.id, hb('00000000000000c1', [rec(1, 7, 7)]), Date.now())),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'whole' });
    expect(await h.scalar('SELECT COUNT(*) FROM traffic_records')).toBe(2);
    expect(await h.scalar(`SELECT COUNT(*) FROM traffic_records WHERE node_id = ${nodes[1].id}`)).toBe(0);
    expect(await h.scalar(`SELECT COUNT(*) FROM epoch_high_water WHERE node_id = ${nodes[1].id}`)).toBe(0);
    expect((await s.getNodeStats(nodes[0].id))?.totalRx).toBe(7n);
    expect((await s.getNodeStats(nodes[1].id))?.totalRx).toBe(0n);
  } finally {
    await h.cleanup();
  }
});

it('SQLite: open() with create: false refuses a missing file and creates nothing', async () => {
  const { mkdtempSync, existsSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { SqliteStore } = await import('../../src/collector/store/sqlite/sqlite-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'tc-nocreate-'));
  try {
    const path = join(dir, 'sub', 'x.db');
    await expect(SqliteStore.open(path, { create: false })).rejects.toThrow();
    expect(existsSync(join(dir, 'sub'))).toBe(false);
    const made = await SqliteStore.open(path);
    await made.close();
    const again = await SqliteStore.open(path, { create: false });
    expect(await again.listNodes()).toEqual([]);
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
