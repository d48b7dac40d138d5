/**
 * REPRODUCTION (review finding): per-user byte counts above 2^53 are lost on the per-user push path.
 * src/protocol/uniproxy.ts:34 toPushBody() turns the agent's exact decimal strings into JSON numbers with Number(),
 * which rounds (2^53+1 -> 2^53); the collector's parsePushEntries (src/collector/user-push.ts:43,60) then silently
 * skips any entry that is not a safe integer, and still answers {"data":true}. The agent takes that as an
 * acknowledgement and drops the record: the whole entry is lost, not just rounded.
 * Real parts: CollectorUserPushSink -> collector app (SQLite) over HTTP. This test FAILS while the bug is present.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorUserPushSink } from '../../src/agent/sinks/collector-user-push-sink.js';
import { makeTestApp, type TestApp } from '../collector/app-helper.js';

let t: TestApp | undefined;
let sink: CollectorUserPushSink | undefined;
afterEach(async () => {
  await sink?.close();
  await t?.close();
});

describe('review: a per-user delta above 2^53 on the collector push path', () => {
  it('is booked exactly, or refused (never acknowledged and dropped)', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    sink = new CollectorUserPushSink({ url, nodeId: node.id, nodeType: 'vmess', token: node.token, timeoutMs: 5000, batchLimit: 50 });
    const big = '9007199254740993'; // 2^53 + 1 (about 9 PB: e.g. a merged backlog or a counter reset of a long-lived core)
    const to = t.clock.now;
    let acked: Set<number>;
    try {
      acked = (await sink.deliver([{ seq: 1, from: to - 60_000, to, rx: '0', tx: '0', users: { '42': [big, '5'] } }], { epoch: '0123456789abcdef', now: Date.now })).acked;
    } catch {
      acked = new Set(); // refused: the record stays queued, which would be acceptable
    }
    if (acked.has(1)) {
      const rows = await t.store.nodeUsers(node.id, 0, 2 ** 31, 10);
      expect(rows).toEqual([{ userId: 42, u: BigInt(big), d: 5n }]); // actually []: acknowledged, nothing booked
    }
  });
});
