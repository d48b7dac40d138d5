import { describe, expect, it } from 'vitest';
import {
  accountTick,
  baselineState,
  type AccountingSettings,
  type Sample,
} from '../../../src/agent/accounting/account-tick.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';
import { resolveConfig } from '../../../src/agent/config/load-config.js';
import { interfaceFilter } from '../../../src/agent/sources/interface-filter.js';
import { BOOT_A, BOOT_B, EPOCH, T0, sample, settings } from './values.js';

const TWO_32 = 1n << 32n;

/** Runs a baseline and then every further sample through accountTick; returns the states and records. */
function run(samples: Sample[], s: AccountingSettings = settings()) {
  let state: AgentState = baselineState(samples[0], EPOCH, s);
  const results = [];
  for (const smp of samples.slice(1)) {
    const r = accountTick(state, smp, s);
    results.push(r);
    state = r.state;
  }
  const rx = results.reduce((a, r) => a + BigInt(r.record?.rx ?? '0'), 0n);
  const tx = results.reduce((a, r) => a + BigInt(r.record?.tx ?? '0'), 0n);
  return { state, results, rx, tx };
}

describe('baselineState (first run)', () => {
  it('takes the counters as the baseline and counts nothing from before', () => {
    const s = baselineState(sample(T0, { lo: [5, 5], eth0: [1_000_000, 2_000_000] }), EPOCH, settings());
    expect(s.totals).toEqual({ rx: '0', tx: '0' });
    expect(s.period.rx).toBe('0');
    expect(s.outbox).toEqual([]);
    expect(s.nextSeq).toBe(1);
    expect(s.epoch).toBe(EPOCH);
    expect(s.interfaces.eth0).toEqual({ rx: '1000000', tx: '2000000' });
    expect(s.period.start).toBe(Date.UTC(2025, 2, 1));
  });
});

describe('accountTick', () => {
  it('steady growth: each tick records the difference, seqs grow, totals equal the sum', () => {
    const { state, results, rx, tx } = run([
      sample(T0, { eth0: [1_000, 2_000] }),
      sample(T0 + 60_000, { eth0: [11_000, 2_500] }),
      sample(T0 + 120_000, { eth0: [11_000, 2_500] }),
      sample(T0 + 180_000, { eth0: [31_000, 3_500] }),
    ]);
    expect(results.map((r) => r.record?.seq ?? null)).toEqual([1, null, 2]);
    expect(results[0].record).toMatchObject({ from: T0, to: T0 + 60_000, rx: '10000', tx: '500' });
    expect(results[0].record?.events).toBeUndefined();
    expect(rx).toBe(30_000n);
    expect(tx).toBe(1_500n);
    expect(state.totals).toEqual({ rx: '30000', tx: '1500' });
    expect(state.period).toMatchObject({ rx: '30000', tx: '1500' });
    expect(state.outbox.map((r) => r.seq)).toEqual([1, 2]);
    expect(state.nextSeq).toBe(3);
  });

  it('reboot (new boot id): everything since boot counts, and interfaces that vanished are forgotten', () => {
    const { state, results, rx } = run([
      sample(T0, { eth0: [900_000, 0], eth1: [50, 0] }),
      sample(T0 + 60_000, { eth0: [1_000_000, 0], eth1: [70, 0] }),
      sample(T0 + 120_000, { eth0: [4_000, 0] }, { boot: { bootId: BOOT_B, btime: 1_700_100_000 } }),
    ]);
    const r = results[1];
    expect(r.record).toMatchObject({ rx: '4000', events: ['reboot'] });
    expect(r.events).toContainEqual({ type: 'reboot', previousBootId: BOOT_A, bootId: BOOT_B });
    expect(rx).toBe(100_020n + 4_000n);
    expect(state.detected.reboots).toBe(1);
    expect(Object.keys(state.interfaces)).toEqual(['eth0']);
    expect(state.boot.bootId).toBe(BOOT_B);
  });

  it('reset on the same boot: the new value counts, tagged reset:<if>', () => {
    const { state, results } = run([
      sample(T0, { eth0: [5_000_000, 7_000_000] }),
      sample(T0 + 60_000, { eth0: [300, 7_000_100] }),
    ]);
    expect(results[0].record).toMatchObject({ rx: '300', tx: '100', events: ['reset:eth0'] });
    expect(results[0].events).toContainEqual({ type: 'reset', iface: 'eth0', direction: 'rx', delta: '300' });
    expect(state.detected.resets).toBe(1);
  });

  it('32-bit wrap at a plausible rate counts the wrapped difference', () => {
    const s = settings({ bits: 32 });
    const { state, results } = run(
      [
        sample(T0, { eth0: [TWO_32 - 10_000n, 100] }, { uptimeSec: 1000 }),
        sample(T0 + 30_000, { eth0: [20_000, 200] }, { uptimeSec: 1030 }),
      ],
      s,
    );
    expect(results[0].record).toMatchObject({ rx: '30000', tx: '100', events: ['wrap:eth0'] });
    expect(state.detected.wraps).toBe(1);
    expect(state.detected.resets).toBe(0);
  });

  it('32-bit drop that a naive check would call a wrap, implausible for the elapsed time: a reset', () => {
    // 100 Mbit/s max, 2 s of uptime between samples: at most 37.5 MB; the "wrap" would be 4 294 957 296 bytes.
    const s = settings({ bits: 32, maxBytesPerSec: 12_500_000n });
    const { results } = run(
      [sample(T0, { eth0: [10_000, 0] }, { uptimeSec: 50 }), sample(T0 + 2_000, { eth0: [0, 0] }, { uptimeSec: 52 })],
      s,
    );
    expect(results[0].record).toMatchObject({ rx: '0', tx: '0', events: ['reset:eth0'] });
  });

  it('elapsed time comes from uptime on the same boot, so a wall clock step does not make a reset look like a wrap', () => {
    const s = settings({ bits: 32, maxBytesPerSec: 12_500_000n });
    // The wall clock jumped a day forward, uptime says 2 s passed: 4 GB in 2 s is implausible, a reset.
    const { results } = run(
      [
        sample(T0, { eth0: [1_000_000_000, 0] }, { uptimeSec: 50 }),
        sample(T0 + 86_400_000, { eth0: [1_000, 0] }, { uptimeSec: 52 }),
      ],
      s,
    );
    expect(results[0].record?.rx).toBe('1000');
    expect(results[0].record?.events).toEqual(['reset:eth0']);
  });

  it('the same drop with 64-bit counters is always a reset, never +4 GiB', () => {
    const { results, rx } = run([
      sample(T0, { eth0: [TWO_32 - 10_000n, 0] }, { uptimeSec: 1000 }),
      sample(T0 + 30_000, { eth0: [20_000, 0] }, { uptimeSec: 1030 }),
    ]);
    expect(rx).toBe(20_000n);
    expect(results[0].record?.events).toEqual(['reset:eth0']);
  });

  it('interface appears (counts from zero), disappears (kept), returns lower (reset, never negative)', () => {
    const { state, results, rx, tx } = run([
      sample(T0, { eth0: [1_000, 1_000] }),
      sample(T0 + 10_000, { eth0: [2_000, 1_000], wg0x: [700, 300] }), // appears: +700/+300 (and eth0 +1000)
      sample(T0 + 20_000, { eth0: [2_000, 1_000] }), // wg0x gone
      sample(T0 + 30_000, { eth0: [2_000, 1_000] }),
      sample(T0 + 40_000, { eth0: [2_000, 1_000], wg0x: [50, 20] }), // back with lower counters: +50/+20
      sample(T0 + 50_000, { eth0: [2_000, 1_000], wg0x: [80, 20] }), // +30
    ]);
    expect(results[0].events).toContainEqual({
      type: 'new-interface',
      iface: 'wg0x',
      direction: 'both',
      delta: '1000',
    });
    expect(results[1].events).toContainEqual({ type: 'interface-gone', iface: 'wg0x' });
    expect(results[1].state.interfaces.wg0x).toEqual({ rx: '700', tx: '300', goneAt: T0 + 20_000 });
    expect(results[2].events.filter((e) => e.type === 'interface-gone')).toEqual([]); // said once
    expect(results[2].state.interfaces.wg0x.goneAt).toBe(T0 + 20_000);
    expect(results[3].events).toContainEqual({ type: 'interface-back', iface: 'wg0x' });
    expect(results[3].record).toMatchObject({ rx: '50', tx: '20', events: ['reset:wg0x'] });
    expect(state.interfaces.wg0x).toEqual({ rx: '80', tx: '20' });
    expect(rx).toBe(1_000n + 700n + 50n + 30n);
    expect(tx).toBe(300n + 20n);
  });

  it('an interface that returns with higher counters is an increase from its kept counters', () => {
    const { rx } = run([
      sample(T0, { eth0: [0, 0], eth1: [100, 0] }),
      sample(T0 + 10_000, { eth0: [0, 0] }),
      sample(T0 + 20_000, { eth0: [0, 0], eth1: [160, 0] }),
    ]);
    expect(rx).toBe(60n);
  });

  it('btime jump with the same boot id (VM snapshot restore, clock step) is not a reboot', () => {
    const { results, state } = run([
      sample(T0, { eth0: [1_000_000, 0] }, { boot: { bootId: BOOT_A, btime: 1_700_000_000 } }),
      sample(T0 + 60_000, { eth0: [1_000_500, 0] }, { boot: { bootId: BOOT_A, btime: 1_700_003_600 } }),
    ]);
    expect(results[0].record).toMatchObject({ rx: '500' });
    expect(results[0].record?.events).toBeUndefined();
    expect(state.detected.reboots).toBe(0);
  });

  it('btime jump with no boot id at all is a reboot; a small btime move is not', () => {
    const noId = (btime: number) => ({ boot: { bootId: null, btime } });
    const { results, rx } = run([
      sample(T0, { eth0: [1_000_000, 0] }, noId(1_700_000_000)),
      sample(T0 + 60_000, { eth0: [1_000_900, 0] }, noId(1_700_000_004)), // clock jitter: +900
      sample(T0 + 120_000, { eth0: [2_000, 0] }, noId(1_700_000_120)), // rebooted: +2000
    ]);
    expect(results[0].record?.events).toBeUndefined();
    expect(results[1].record?.events).toEqual(['reboot']);
    expect(rx).toBe(2_900n);
  });

  it('keeps counters and totals beyond 2^53 exact', () => {
    const base = (1n << 53n) + 1n;
    const high = (1n << 61n) + 12_345n; // a delta beyond 2^53 but below the 2^62 bound of a broken counter
    const top = (1n << 64n) - 1n;
    const { state, rx } = run([
      sample(T0, { eth0: [base, 0], eth1: [0, 0] }),
      sample(T0 + 60_000, { eth0: [base + 3n, 0], eth1: [base, 0] }, { uptimeSec: null }),
      sample(T0 + 120_000, { eth0: [high, 0], eth1: [base * 2n, 0] }),
      sample(
        T0 + 180_000,
        { eth0: [top - 10n, 0], eth1: [base * 2n, 0] },
        { boot: { bootId: 'cccccccc-0000-4000-8000-000000000003', btime: 1_700_000_500 } },
      ),
      sample(
        T0 + 240_000,
        { eth0: [top, 0], eth1: [base * 2n, 0] },
        { boot: { bootId: 'cccccccc-0000-4000-8000-000000000003', btime: 1_700_000_500 } },
      ),
    ]);
    // After the reboot everything since boot counts: eth1's 2*base, but eth0's top-10 is a broken counter (2^62 or
    // more) and counts nothing; the 10 bytes after it do.
    const expected = 3n + base + (high - base - 3n) + base + base * 2n + 10n;
    expect(rx).toBe(expected);
    expect(state.totals.rx).toBe(expected.toString());
    expect(state.interfaces.eth0.rx).toBe('18446744073709551615');
  });

  it('lo* is excluded by default; include and exclude globs choose the rest', () => {
    const samples = [
      sample(T0, { lo: [0, 0], eth0: [0, 0], eth1: [0, 0], docker0: [0, 0], veth1a2b: [0, 0] }),
      sample(T0 + 60_000, {
        lo: [1, 1],
        eth0: [10, 10],
        eth1: [100, 100],
        docker0: [1_000, 1_000],
        veth1a2b: [10_000, 10_000],
      }),
    ];
    expect(run(samples).rx).toBe(11_110n);
    expect(run(samples, settings({ isSelected: interfaceFilter(['eth*'], []) })).rx).toBe(110n);
    expect(run(samples, settings({ isSelected: interfaceFilter([], ['lo*', 'docker*', 'veth*']) })).rx).toBe(110n);
    expect(run(samples, settings({ isSelected: interfaceFilter(['eth*', 'docker*'], ['eth1']) })).rx).toBe(1_010n);
    // the configuration's default exclude list is lo*
    const cfg = resolveConfig({ node: { id: 1, token: 't' }, collector: { url: 'http://127.0.0.1:1' } }, {});
    expect(cfg.interfaces).toEqual({ include: [], exclude: ['lo*'] });
    expect(
      run(samples, settings({ isSelected: interfaceFilter(cfg.interfaces.include, cfg.interfaces.exclude) })).rx,
    ).toBe(11_110n);
    // an empty exclude list counts lo too
    expect(run(samples, settings({ isSelected: interfaceFilter([], []) })).rx).toBe(11_111n);
  });

  it('counts an increase beyond the maximum rate, flagged suspicious', () => {
    const { results, state } = run([
      sample(T0, { eth0: [0, 0] }, { uptimeSec: 100 }),
      sample(T0 + 1_000, { eth0: [100_000_000_000n, 0] }, { uptimeSec: 101 }),
    ]);
    expect(results[0].record).toMatchObject({ rx: '100000000000', events: ['suspicious:eth0'] });
    expect(state.detected.suspicious).toBe(1);
  });

  it('changes of unselected interfaces are logged as events but do not tag the record', () => {
    const { results } = run([
      sample(T0, { lo: [5_000, 5_000], eth0: [0, 0] }),
      sample(T0 + 1_000, { lo: [10, 10], eth0: [7, 0] }),
    ]);
    expect(results[0].events).toContainEqual({ type: 'reset', iface: 'lo', direction: 'rx', delta: '10' });
    expect(results[0].record).toEqual({ seq: 1, from: T0, to: T0 + 1_000, rx: '7', tx: '0' });
  });
});
