/**
 * REPRODUCTION (review finding): per-user push dedup lives only in push_keys, which the collector prunes after
 * idempotencyRetentionHours (default 720 h; server.ts prune timer -> Q.pruneKeys). Heartbeats are immune (a per-(node,
 * epoch) high-water mark that is never pruned), pushes are not: an agent whose acknowledgement of a push was not yet
 * saved (it is only saved at the next tick) and that then stays down longer than the retention (a VPS suspended for
 * non-payment, a node shut down for the season, a month on a full disk) resends the same <node>:<epoch>:<seq> and
 * the collector books every user of it a second time.
 * Real parts: collector app + SQLite store over HTTP inject, store.prune as the server's timer calls it.
 * This test FAILS while the bug is present.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeTestApp, type TestApp } from '../collector/app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('review: a resent push after the idempotency keys were pruned', () => {
  it('is acknowledged, not booked again', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const push = () => t!.app.inject({
      method: 'POST', url: `/api/v1/server/UniProxy/push?node_id=${node.id}&node_type=vmess`,
      headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json', 'idempotency-key': `${node.id}:0123456789abcdef:7`, 'x-traffic-measured-at': String(t!.clock.now) },
      payload: JSON.stringify({ '42': [1000, 2000] }),
    });
    expect((await push()).statusCode).toBe(200);
    t.clock.now += 31 * 86_400_000;
    await t.store.prune(t.clock.now - 48 * 3_600_000, t.clock.now - 720 * 3_600_000); // what server.ts runs
    expect((await push()).statusCode).toBe(200);
    const rows = await t.store.nodeUsers(node.id, 0, 2 ** 31, 10);
    expect(rows).toEqual([{ userId: 42, u: 1000n, d: 2000n }]); // actually 2000 / 4000
  });
});
