import { describe, expect, it } from 'vitest';
import { baselineState } from '../../../src/agent/accounting/account-tick.js';
import {
  MERGE_BUCKETS_MS,
  OutboxInvariantError,
  acknowledge,
  assertOutboxInvariants,
  compact,
  markAttempted,
  pendingFor,
  prune,
  takesAll,
  takesUsers,
} from '../../../src/agent/outbox/outbox.js';
import type { AgentState, OutboxRecord } from '../../../src/agent/state/agent-state.js';
import { EPOCH, sample, settings } from '../accounting/values.js';

const QUARTER = MERGE_BUCKETS_MS[0];
/** A quarter-hour boundary: 2025-03-10T12:00:00Z. */
const Q = Date.UTC(2025, 2, 10, 12);

function stateWith(outbox: OutboxRecord[], over: Partial<AgentState> = {}): AgentState {
  const base = baselineState(sample(Q, { eth0: [0, 0] }), EPOCH, settings());
  return { ...base, outbox, nextSeq: (outbox.at(-1)?.seq ?? 0) + 1, ...over };
}

/** n records of 1 minute each from `start`, seqs from `firstSeq`, rx = seq * 1000 + 1, tx = seq. */
function records(n: number, start: number, firstSeq = 1, stepMs = 60_000): OutboxRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const seq = firstSeq + i;
    return { seq, from: start + i * stepMs, to: start + (i + 1) * stepMs, rx: String(seq * 1000 + 1), tx: String(seq) };
  });
}

const sum = (rs: readonly OutboxRecord[], k: 'rx' | 'tx') => rs.reduce((a, r) => a + BigInt(r[k]), 0n);

describe('compact', () => {
  it('leaves an outbox within maxRecords as it is', () => {
    const s = stateWith(records(10, Q));
    expect(compact(s, 10)).toBe(s);
  });

  it('merges never-attempted records within one quarter hour, keeping every byte and the lowest seq', () => {
    // 30 one-minute records: 12:00-12:15 (seq 1-15) and 12:15-12:30 (seq 16-30)
    const s = stateWith(records(30, Q));
    const c = compact(s, 10);
    expect(c.outbox.length).toBeLessThanOrEqual(10);
    expect(sum(c.outbox, 'rx')).toBe(sum(s.outbox, 'rx'));
    expect(sum(c.outbox, 'tx')).toBe(sum(s.outbox, 'tx'));
    // A record is booked by its end: the one ending at 12:15:00.000 (seq 15) belongs to the next quarter hour as far
    // as its end goes and to this one by its start, so it is merged with neither side.
    expect(c.outbox.map((r) => r.seq)).toEqual([1, 15, 16, 30]);
    for (const r of c.outbox.filter((r) => r.to - r.from > 60_000))
      expect(Math.floor(r.from / QUARTER)).toBe(Math.floor(r.to / QUARTER));
    // seqs stay ascending and the state's other fields are untouched
    expect(c.nextSeq).toBe(31);
    expect(c.totals).toEqual(s.totals);
  });

  it('never merges records already handed to a sink', () => {
    const s = stateWith(records(30, Q), { attemptedThrough: 12 });
    const c = compact(s, 10);
    expect(c.outbox.slice(0, 12)).toEqual(s.outbox.slice(0, 12));
    // 13-30 are merged (down to one record of the 12:00 hour); the 12 attempted ones stay as they were, even if
    // that leaves the outbox above maxRecords
    expect(c.outbox.slice(12).map((r) => r.seq)).toEqual([13]);
    expect(c.outbox).toHaveLength(13);
    expect(sum(c.outbox, 'rx')).toBe(sum(s.outbox, 'rx'));
  });

  it('never merges across a quarter-hour bucket while quarter hours suffice', () => {
    // two hours of five-minute records starting at 12:02, so some records straddle a quarter-hour boundary
    const rs = records(24, Q + 2 * 60_000, 1, 5 * 60_000);
    const c = compact(stateWith(rs), 20);
    expect(c.outbox.length).toBeLessThanOrEqual(20);
    expect(c.outbox.length).toBeGreaterThanOrEqual(8); // it did not need to go to hours
    for (const r of c.outbox) {
      const parts = rs.filter((p) => p.from >= r.from && p.to <= r.to);
      if (parts.length > 1) expect(Math.floor(r.from / QUARTER)).toBe(Math.floor(r.to / QUARTER));
    }
    expect(sum(c.outbox, 'rx')).toBe(sum(rs, 'rx'));
    expect(sum(c.outbox, 'tx')).toBe(sum(rs, 'tx'));
  });

  it('goes to wider buckets (hour, then day) only when quarter hours are not enough, still keeping every byte', () => {
    const rs = records(240, Q); // four hours of one-minute records
    // quarter hours leave 32 records (14 merged + the one ending on the boundary, per quarter): too many for 8
    const c = compact(stateWith(rs), 8);
    expect(c.outbox.map((r) => r.seq)).toEqual([1, 60, 61, 120, 121, 180, 181, 240]);
    for (const r of c.outbox.filter((r) => r.to - r.from > 60_000))
      expect(Math.floor(r.from / 3_600_000)).toBe(Math.floor(r.to / 3_600_000));
    // and a UTC day when hours are not enough
    expect(compact(stateWith(rs), 5).outbox.map((r) => r.seq)).toEqual([1]);
    expect(sum(c.outbox, 'rx')).toBe(sum(rs, 'rx'));
  });

  it('merges events (once each) and sums users', () => {
    const rs: OutboxRecord[] = [
      { seq: 1, from: Q, to: Q + 1, rx: '1', tx: '2', events: ['reboot'], users: { '7': ['10', '20'] } },
      {
        seq: 2,
        from: Q + 1,
        to: Q + 2,
        rx: '3',
        tx: '4',
        events: ['reboot', 'reset:eth0'],
        users: { '7': ['1', '2'], '8': ['5', '5'] },
      },
      ...records(20, Q + 2, 3, 1),
    ];
    const c = compact(stateWith(rs), 10);
    expect(c.outbox).toHaveLength(1);
    expect(c.outbox[0]).toMatchObject({
      seq: 1,
      events: ['reboot', 'reset:eth0'],
      users: { '7': ['11', '22'], '8': ['5', '5'] },
    });
    expect(sum(c.outbox, 'rx')).toBe(sum(rs, 'rx'));
  });
});

describe('cursors per sink, acknowledge and prune', () => {
  const collector = { name: 'collector' as const, takes: takesAll };
  const users = { name: 'collectorUsers' as const, takes: takesUsers };
  const rs: OutboxRecord[] = records(6, Q).map((r) =>
    r.seq % 2 === 0 ? { ...r, users: { '1': ['1', '1'] as [string, string] } } : r,
  );

  it('pendingFor gives each sink its own records above its cursor, up to a limit', () => {
    const s = stateWith(rs, { cursors: { collector: 2 } });
    expect(pendingFor(s, collector, 10).map((r) => r.seq)).toEqual([3, 4, 5, 6]);
    expect(pendingFor(s, collector, 2).map((r) => r.seq)).toEqual([3, 4]);
    expect(pendingFor(s, users, 10).map((r) => r.seq)).toEqual([2, 4, 6]);
  });

  it('acknowledge moves the cursor over the acknowledged prefix only, never back', () => {
    const s = stateWith(rs);
    const batch = pendingFor(s, collector, 10);
    const a = acknowledge(s, 'collector', batch, new Set([1, 2, 4]));
    expect(a.cursors.collector).toBe(2); // 3 missing: 4 is offered again later
    expect(acknowledge(a, 'collector', batch.slice(0, 1), new Set([1])).cursors.collector).toBe(2);
    expect(acknowledge(s, 'collector', batch, new Set())).toBe(s);
  });

  it('prune drops a record only when every active sink is done with it', () => {
    let s = stateWith(rs);
    s = acknowledge(s, 'collector', pendingFor(s, collector, 10), new Set([1, 2, 3, 4, 5, 6]));
    // the users sink has not acknowledged 2 yet: 1 can go (not its kind), 2.. must stay
    expect(prune(s, [collector, users]).outbox.map((r) => r.seq)).toEqual([2, 3, 4, 5, 6]);
    s = acknowledge(s, 'collectorUsers', pendingFor(s, users, 10), new Set([2, 4]));
    expect(prune(s, [collector, users]).outbox.map((r) => r.seq)).toEqual([6]);
    // with only the collector active, everything it acknowledged goes
    expect(prune(s, [collector]).outbox).toEqual([]);
  });

  it('markAttempted only moves forward', () => {
    const s = stateWith(rs, { attemptedThrough: 4 });
    expect(markAttempted(s, 3)).toBe(s);
    expect(markAttempted(s, 6).attemptedThrough).toBe(6);
  });
});

describe('assertOutboxInvariants', () => {
  /** A consistent state: 6 records, 4 handed out, 2 acknowledged by the collector, totals covering the outbox. */
  const good = (): AgentState =>
    stateWith(records(6, Q), {
      attemptedThrough: 4,
      cursors: { collector: 2 },
      totals: { rx: '100000', tx: '100' },
      period: { start: Q, rx: '50000', tx: '50' },
    });

  it('holds for a consistent state, for compaction and for acknowledgement', () => {
    const s = good();
    expect(() => assertOutboxInvariants(s)).not.toThrow();
    const compacted = compact(s, 3);
    expect(() => assertOutboxInvariants(compacted, s)).not.toThrow();
    const acked = prune(acknowledge(compacted, 'collector', compacted.outbox, new Set([3, 4])), [
      { name: 'collector', takes: takesAll },
    ]);
    expect(() => assertOutboxInvariants(acked, compacted)).not.toThrow();
  });

  it.each([
    ['seqs out of order', (s: AgentState) => ({ ...s, outbox: [s.outbox[1], s.outbox[0], ...s.outbox.slice(2)] })],
    ['a seq at nextSeq', (s: AgentState) => ({ ...s, nextSeq: 6 })],
    ['a record ending before it starts', (s: AgentState) => ({ ...s, outbox: [{ ...s.outbox[0], to: Q - 1 }] })],
    ['a cursor past attemptedThrough', (s: AgentState) => ({ ...s, cursors: { collector: 5 } })],
    ['a record in flight never attempted', (s: AgentState) => ({ ...s, inFlight: { panel: 5 } })],
    ['an outbox holding more than the totals', (s: AgentState) => ({ ...s, totals: { rx: '100', tx: '100' } })],
    ['a period above the totals', (s: AgentState) => ({ ...s, period: { ...s.period, tx: '101' } })],
  ])('throws on %s', (_what, broken) => {
    expect(() => assertOutboxInvariants(broken(good()))).toThrow(OutboxInvariantError);
  });

  it('throws when a record handed to a sink changed since an earlier state (a merge that drops or sums into it)', () => {
    const before = good();
    const after = { ...before, outbox: before.outbox.map((r) => (r.seq === 3 ? { ...r, rx: '1' } : r)) };
    expect(() => assertOutboxInvariants(after, before)).toThrow(/seq 3 changed/);
    // above attemptedThrough a record may still be merged: no complaint
    const merged = { ...before, outbox: before.outbox.map((r) => (r.seq === 5 ? { ...r, rx: '1' } : r)) };
    expect(() => assertOutboxInvariants(merged, before)).not.toThrow();
  });
});
