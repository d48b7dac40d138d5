/**
 * Regression (found in review): a keyed push resent after its idempotency key was pruned (a node down for longer
 * than idempotencyRetentionHours with an acknowledgement it had not saved) used to be booked twice. Keyed pushes of
 * our agents now also keep a per-(node, epoch) high-water seq, which pruning never removes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('a resent push after the idempotency keys were pruned', () => {
  it('is acknowledged, not booked again', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const push = () =>
      t!.app.inject({
        method: 'POST',
        url: `/api/v1/server/UniProxy/push?node_id=${node.id}&node_type=vmess`,
        headers: {
          authorization: `Bearer ${node.token}`,
          'content-type': 'application/json',
          'idempotency-key': `${node.id}:0123456789abcdef:7`,
          'x-traffic-measured-at': String(t!.clock.now),
        },
        payload: JSON.stringify({ '42': [1000, 2000] }),
      });
    expect((await push()).statusCode).toBe(200);
    t.clock.now += 31 * 86_400_000;
    await t.store.prune(t.clock.now - 48 * 3_600_000, t.clock.now - 720 * 3_600_000); // what server.ts runs
    expect((await push()).statusCode).toBe(200);
    const rows = await t.store.nodeUsers(node.id, 0, 2 ** 31, 10);
    expect(rows).toEqual([{ userId: 42, u: 1000n, d: 2000n }]);
  });
});
