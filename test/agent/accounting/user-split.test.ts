/**
 * A tick with more users than userTraffic.maxUsersPerPush makes several records when it is accounted (never at send
 * time): each holds at most that many users under its own seq, the first keeps the bytes and events, together they
 * hold every user's delta once, and compaction never merges them back past the limit.
 */
import { describe, expect, it } from 'vitest';
import { accountTick, baselineState } from '../../../src/agent/accounting/account-tick.js';
import type { ProxySample } from '../../../src/agent/accounting/user-deltas.js';
import { compact } from '../../../src/agent/outbox/outbox.js';
import { EPOCH, T0, sample, settings } from './values.js';

const proxy = (uptimeSec: number, users: Record<string, [bigint, bigint]>): ProxySample => ({
  uptimeSec,
  users: new Map(Object.entries(users).map(([e, [up, down]]) => [e, { up, down }])),
});

function counters(n: number, scale: bigint): Record<string, [bigint, bigint]> {
  const out: Record<string, [bigint, bigint]> = {};
  for (let u = 1; u <= n; u++) out[String(u)] = [BigInt(u) * scale, BigInt(u) * scale * 2n];
  return out;
}

describe('per-user records split by maxUsersPerRecord', () => {
  const s = settings({ maxUsersPerRecord: 5 });
  const base = baselineState(
    sample(T0, { eth0: [0, 0] }, { uptimeSec: 5000, proxy: proxy(1000, counters(23, 0n)) }),
    EPOCH,
    s,
  );

  it('23 users at 5 a record: 5 records with consecutive seqs, bytes on the first, every delta once', () => {
    const r = accountTick(
      base,
      sample(T0 + 60_000, { eth0: [700, 900] }, { uptimeSec: 5060, proxy: proxy(1060, counters(23, 10n)) }),
      s,
    );
    expect(r.records.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r.records.map((x) => Object.keys(x.users ?? {}).length)).toEqual([5, 5, 5, 5, 3]);
    expect(r.records.map((x) => [x.rx, x.tx])).toEqual([['700', '900'], ...Array(4).fill(['0', '0'])]);
    expect(new Set(r.records.map((x) => `${x.from}-${x.to}`)).size).toBe(1);
    expect(r.record).toBe(r.records[0]);
    expect(r.state.nextSeq).toBe(6);
    expect(r.state.outbox).toEqual(r.records);
    const merged = Object.assign({}, ...r.records.map((x) => x.users));
    expect(merged).toEqual(
      Object.fromEntries(Object.entries(counters(23, 10n)).map(([k, [u, d]]) => [k, [`${u}`, `${d}`]])),
    );
  });

  it('a tick at the limit stays one record; the default limit is 100,000', () => {
    const at = accountTick(
      baselineState(sample(T0, { eth0: [0, 0] }, { uptimeSec: 5000, proxy: proxy(1000, counters(5, 0n)) }), EPOCH, s),
      sample(T0 + 60_000, { eth0: [1, 1] }, { uptimeSec: 5060, proxy: proxy(1060, counters(5, 10n)) }),
      s,
    );
    expect(at.records).toHaveLength(1);
    const d = settings();
    const big = accountTick(
      baselineState(
        sample(T0, { eth0: [0, 0] }, { uptimeSec: 5000, proxy: proxy(1000, counters(100_001, 0n)) }),
        EPOCH,
        d,
      ),
      sample(T0 + 60_000, { eth0: [0, 0] }, { uptimeSec: 5060, proxy: proxy(1060, counters(100_001, 1n)) }),
      d,
    );
    expect(big.records.map((x) => Object.keys(x.users ?? {}).length)).toEqual([100_000, 1]);
  });

  it('compaction merges small records but never past the limit', () => {
    let state = base;
    // Six ticks of 2 new users each (users 1-2, then 3-4, ...), never handed to a sink, in one quarter hour.
    for (let i = 1; i <= 6; i++) {
      const users: Record<string, [bigint, bigint]> = { ...counters(23, 0n) };
      for (let k = 1; k <= i * 2; k++) users[String(k)] = [BigInt(k), BigInt(k)];
      state = accountTick(
        state,
        sample(T0 + i * 10_000, { eth0: [i, i] }, { uptimeSec: 5000 + i * 10, proxy: proxy(1000 + i * 10, users) }),
        s,
      ).state;
    }
    expect(state.outbox).toHaveLength(6);
    const c = compact(state, 1, 5);
    expect(c.outbox.every((x) => Object.keys(x.users ?? {}).length <= 5)).toBe(true);
    expect(c.outbox.map((x) => Object.keys(x.users ?? {}).length)).toEqual([4, 4, 4]);
    const users = (st: typeof state) =>
      st.outbox.reduce((n, x) => n + Object.values(x.users ?? {}).reduce((a, [u]) => a + BigInt(u), 0n), 0n);
    expect(users(c)).toBe(users(state));
  });
});
