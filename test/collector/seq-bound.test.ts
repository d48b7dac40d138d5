/**
 * Issue 10 item 4 (seq jump): the documented bound of src/protocol/seq-bound.ts, in step with the agent it is derived
 * from, and enforced on the real heartbeat route (a token holder's seq 2^53-1 is refused; real records keep counting).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConfigSchema } from '../../src/agent/config/schema.js';
import { MERGE_BUCKETS_MS } from '../../src/agent/outbox/outbox.js';
import { MAX_RECORDS_PER_HEARTBEAT } from '../../src/protocol/heartbeat.js';
import {
  MAX_MERGE_BUCKET_MS,
  MAX_SEQ_AHEAD,
  MAX_SEQS_PER_RECORD,
  MIN_HEARTBEAT_INTERVAL_SEC,
} from '../../src/protocol/seq-bound.js';
import { makeTestApp, type TestApp } from './app-helper.js';

let t: TestApp | undefined;
afterEach(async () => t?.close());

describe('the seq-jump bound', () => {
  it('is derived from the agent as it is: shortest interval, widest merge bucket, records per heartbeat', () => {
    expect(AgentConfigSchema.properties.heartbeatIntervalSec.minimum).toBe(MIN_HEARTBEAT_INTERVAL_SEC);
    expect(Math.max(...MERGE_BUCKETS_MS)).toBe(MAX_MERGE_BUCKET_MS);
    expect(MAX_SEQS_PER_RECORD).toBe(6_912_000);
    expect(MAX_SEQ_AHEAD).toBe(MAX_RECORDS_PER_HEARTBEAT * 6_912_000);
    expect(MAX_SEQ_AHEAD).toBeLessThan(Number.MAX_SAFE_INTEGER / 1_000_000);
  });

  it('refuses seq 2^53-1 from a token holder with 422 TC_SEQ_TOO_FAR_AHEAD; the agent’s real records still count', async () => {
    t = await makeTestApp();
    const n = await t.addNode();
    const now = t.clock.now;
    const r = (seq: number) => ({ seq, from: now - 1000, to: now, rx: '10', tx: '0' });
    expect((await t.heartbeat(n.token, { records: [r(1)] })).statusCode).toBe(200);
    const poison = await t.heartbeat(n.token, { records: [r(Number.MAX_SAFE_INTEGER)] });
    expect(poison.statusCode).toBe(422);
    expect(poison.json().error.code).toBe('TC_SEQ_TOO_FAR_AHEAD');
    const real = await t.heartbeat(n.token, { records: [r(2), r(3)] });
    expect(real.json()).toMatchObject({ acked: [2, 3], duplicates: 0 });
    expect((await t.admin(`/api/v1/nodes/${n.id}`)).json().traffic.totalRx).toBe('30');
  });
});
