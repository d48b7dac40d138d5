/**
 * Regression (found in review): per-user counts above 2^53 used to be rounded by Number() on the agent and then
 * skipped by the collector, which still acknowledged the push, so the entry was lost. The agent now writes the exact
 * decimal digits, and the collector reads integers of any length exactly.
 * Real parts: CollectorUserPushSink -> collector app (SQLite) over HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CollectorUserPushSink } from '../../../src/agent/sinks/collector-user-push-sink.js';
import { deliveryContext } from './sink-fixtures.js';
import { makeTestApp, type TestApp } from '../../collector/app-helper.js';

let t: TestApp | undefined;
let sink: CollectorUserPushSink | undefined;
afterEach(async () => {
  await sink?.close();
  await t?.close();
});

describe('a per-user delta above 2^53 on the collector push path', () => {
  it('is booked exactly', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    sink = new CollectorUserPushSink({
      url,
      nodeId: node.id,
      nodeType: 'vmess',
      token: node.token,
      timeoutMs: 5000,
      batchSize: 50,
    });
    const big = '9007199254740993'; // 2^53 + 1 (about 9 PB: e.g. a merged backlog or a counter reset of a long-lived core)
    const to = t.clock.now;
    const { acked } = await sink.deliver(
      [{ seq: 1, from: to - 60_000, to, rx: '0', tx: '0', users: { '42': [big, '5'] } }],
      deliveryContext('0123456789abcdef'),
    );
    expect(acked.has(1)).toBe(true);
    expect(await t.store.nodeUsers(node.id, 0, 2 ** 31, 10)).toEqual([{ userId: 42, u: BigInt(big), d: 5n }]);
  });

  it('a count above what the store can hold is refused with 422, never acknowledged and dropped', async () => {
    t = await makeTestApp();
    const node = await t.addNode();
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/server/UniProxy/push?node_id=${node.id}&token=${node.token}`,
      headers: { 'content-type': 'application/json' },
      payload: '{"42":[9223372036854775808,0]}',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors.data[0]).toContain('2^63-1');
    expect(await t.store.nodeUsers(node.id, 0, 2 ** 31, 10)).toEqual([]);
  });
});

describe('push body text', () => {
  it('writes exact integers and reads them back exactly', async () => {
    const { pushBodyText, parsePushBodyText } = await import('../../../src/protocol/uniproxy.js');
    const text = pushBodyText({ '7': ['9007199254740993', '18446744073709551615'], '8': ['0', '12'] });
    expect(text).toBe('{"7":[9007199254740993,18446744073709551615],"8":[0,12]}');
    expect(parsePushBodyText(text)).toEqual({ '7': ['9007199254740993', '18446744073709551615'], '8': [0, 12] });
    expect(parsePushBodyText('{"1": [ 1024 , 4096 ]}')).toEqual({ '1': [1024, 4096] });
  });
});
