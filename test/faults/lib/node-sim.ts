/**
 * One simulated machine and its ground truth: a fixture /proc tree and a fake StatsService whose counters this
 * driver moves by known amounts. The truth is what was added, after the agent's baseline, to the counters of the
 * SELECTED interfaces (eth*) and of each proxy user: exactly what the collector must end up with.
 *
 * Counters are 32 or 64 bits wide (the agent runs with the same counterBits): 32-bit ones wrap at 2^32. The moves
 * keep every event unambiguous for the agent's rules (see counter-delta.ts), given MAX_RATE_BITS and at most ~15 s
 * between samples:
 * - grow: a few MB at a time, far below the maximum rate, so a wrap in the middle is plausible and counted as one;
 * - jump: a counter to just below 2^32, so the next growth wraps (32-bit) or simply passes 2^32 (64-bit); only once
 *   the agent (both its state files) has seen the growth before it, since a wrap and a jump between two samples read
 *   as a reset;
 * - reset: 32-bit: a counter below 2^30 down to a smaller value (the wrap it would take is > 3 GB: implausible);
 *   64-bit: a counter just below 2^32 down to a small value, where a 32-bit wrap WOULD look plausible: a decrease of
 *   a 64-bit counter is never a wrap, so only the new value counts (the trap other tools fall into);
 * - clockStep: the wall clock steps, so /proc/stat's btime moves by hours with the same boot id: not a reboot;
 * - reboot: new boot id, every counter from a small value (only while the agent is down, as on a real machine);
 * - interfaces that come (from 0) and go; per-user growth, new users, and a core restart (counters and uptime to 0).
 * After any event but a plain growth, the scenario waits until the agent has saved a sample taken after it.
 */
import { ProcFixture } from '../../support/proc-fixture.js';
import { startFakeProxyStats, type FakeProxyStats } from '../../support/fake-proxy-stats.js';
import type { Rng } from '../../../src/loadgen/rng.js';

const TWO_32 = 1n << 32n;
const MB = 1n << 20n;

export type SimCounterBits = 32 | 64;

interface Iface {
  rx: bigint;
  tx: bigint;
}

export interface SimCounts {
  reboots: number;
  resets: number;
  clockSteps: number;
  jumps: number;
  /** Counter crossings of 2^32 on selected interfaces (each direction counts). */
  wraps: number;
  ifaceAdded: number;
  ifaceRemoved: number;
  proxyRestarts: number;
}

const SELECTED = (name: string) => name.startsWith('eth');
const PERMANENT = ['lo', 'eth0', 'docker0', 'eth1'];
const TRANSIENT = ['eth2', 'veth9'];

export class NodeSim {
  readonly ifaces = new Map<string, Iface>();
  truth = { rx: 0n, tx: 0n };
  readonly userTruth = new Map<string, { up: bigint; down: bigint }>();
  readonly counts: SimCounts = {
    reboots: 0,
    resets: 0,
    clockSteps: 0,
    jumps: 0,
    wraps: 0,
    ifaceAdded: 0,
    ifaceRemoved: 0,
    proxyRestarts: 0,
  };
  private bootSeq = 1;
  private btime = 1_700_000_000;
  private counting = false;
  private users = ['1', '2', '3'];
  /** 64-bit: the interface nearTwo32 raised, for the reset that follows. */
  private trap: string | null = null;

  private constructor(
    readonly fixture: ProcFixture,
    readonly stats: FakeProxyStats,
    private readonly rng: Rng,
    readonly bits: SimCounterBits,
  ) {}

  private get modulus(): bigint {
    return 1n << BigInt(this.bits);
  }

  static async create(rng: Rng, parent: string, bits: SimCounterBits = 32): Promise<NodeSim> {
    const start: Record<string, Iface> = {};
    for (const n of PERMANENT) start[n] = { rx: rng.big(0n, 1000n * MB), tx: rng.big(0n, 1000n * MB) };
    const fixture = await ProcFixture.create(
      { interfaces: start, bootId: bootId(1), btime: 1_700_000_000, uptimeSec: null },
      parent,
    );
    const stats = await startFakeProxyStats();
    const sim = new NodeSim(fixture, stats, rng, bits);
    for (const [n, c] of Object.entries(start)) sim.ifaces.set(n, c);
    for (const u of sim.users) stats.advance(u, rng.big(0n, 50n * MB), rng.big(0n, 50n * MB));
    return sim;
  }

  /** From now on, growth counts (call once the agent saved its baseline, proxy included). */
  startCounting(): void {
    this.counting = true;
  }

  private async write(): Promise<void> {
    await this.fixture.setInterfaces(Object.fromEntries(this.ifaces));
  }

  private add(name: string, drx: bigint, dtx: bigint): void {
    const c = this.ifaces.get(name)!;
    const rx = c.rx + drx;
    const tx = c.tx + dtx;
    if (SELECTED(name)) {
      this.counts.wraps += (rx >= this.modulus ? 1 : 0) + (tx >= this.modulus ? 1 : 0);
      if (this.counting) this.truth = { rx: this.truth.rx + drx, tx: this.truth.tx + dtx };
    }
    this.ifaces.set(name, { rx: rx % this.modulus, tx: tx % this.modulus });
  }

  private userAdd(email: string, up: bigint, down: bigint): void {
    this.stats.advance(email, up, down);
    if (!this.counting) return;
    const t = this.userTruth.get(email) ?? { up: 0n, down: 0n };
    this.userTruth.set(email, { up: t.up + up, down: t.down + down });
  }

  /** Plain growth on every interface and user (up to `maxMb` per counter). */
  async grow(maxMb = 2): Promise<void> {
    const max = BigInt(maxMb) * MB;
    for (const name of this.ifaces.keys()) this.add(name, this.rng.big(0n, max), this.rng.big(0n, max));
    for (const u of this.users)
      if (this.rng.chance(0.7)) this.userAdd(u, this.rng.big(0n, max / 2n), this.rng.big(0n, max));
    await this.write();
  }

  /** A selected counter just below 2^32, so that growth wraps it. Returns false when none is eligible. */
  async jump(): Promise<boolean> {
    const name = this.rng.pick(['eth0', 'eth1']);
    const c = this.ifaces.get(name);
    if (!c) return false;
    const target = () => TWO_32 - this.rng.big(MB, 6n * MB);
    const trx = target();
    const ttx = target();
    if (c.rx >= trx || c.tx >= ttx) return false;
    this.add(name, trx - c.rx, ttx - c.tx);
    this.counts.jumps++;
    await this.write();
    return true;
  }

  /**
   * 64-bit only: a selected counter pair raised to just below 2^32 (counted growth), so that the reset that follows
   * would look like a plausible 32-bit wrap. Returns false when both are already past that point.
   */
  async nearTwo32(): Promise<boolean> {
    if (this.bits !== 64) return false;
    const name = this.rng.pick(['eth0', 'eth1']);
    const c = this.ifaces.get(name);
    const target = () => TWO_32 - this.rng.big(MB, 6n * MB);
    const trx = target();
    const ttx = target();
    if (!c || c.rx >= trx || c.tx >= ttx) return false;
    this.add(name, trx - c.rx, ttx - c.tx);
    this.trap = name;
    await this.write();
    return true;
  }

  /** A counter reset (driver reload) on one selected interface. Returns false when none is eligible. */
  async reset(): Promise<boolean> {
    // 32-bit: below 2^30, so the wrap a reset would take is implausible. 64-bit: any counter (see nearTwo32).
    const limit = this.bits === 32 ? 1n << 30n : this.modulus;
    const eligible = [...this.ifaces].filter(
      ([n, c]) => SELECTED(n) && c.rx >= 2n && c.tx >= 2n && c.rx < limit && c.tx < limit,
    );
    if (eligible.length === 0) return false;
    const trapped = eligible.find(([n]) => n === this.trap);
    this.trap = null;
    const [name, c] = trapped ?? this.rng.pick(eligible);
    const small = (v: bigint) => this.rng.big(0n, v - 1n < 1_000_000n ? v - 1n : 1_000_000n);
    const next = { rx: small(c.rx), tx: small(c.tx) };
    this.ifaces.set(name, next);
    if (this.counting) this.truth = { rx: this.truth.rx + next.rx, tx: this.truth.tx + next.tx };
    this.counts.resets++;
    await this.write();
    return true;
  }

  /** The wall clock steps by hours: btime moves, the boot id and every counter stay. Not a reboot. */
  async clockStep(): Promise<void> {
    this.btime += this.rng.pick([-1, 1]) * this.rng.int(3600, 7 * 86_400);
    this.counts.clockSteps++;
    await this.fixture.update({ btime: this.btime });
  }

  /** A transient interface comes (from 0) or goes. */
  async toggleInterface(): Promise<void> {
    const name = this.rng.pick(TRANSIENT);
    if (this.ifaces.has(name)) {
      this.ifaces.delete(name);
      this.counts.ifaceRemoved++;
    } else {
      this.ifaces.set(name, { rx: 0n, tx: 0n });
      this.counts.ifaceAdded++;
    }
    await this.write();
  }

  /**
   * `n` new interfaces the agent does not count (not eth*), from 0 and never growing: the ground truth is unchanged,
   * but the agent's state keeps a baseline for each, so it grows by about 50 bytes an interface.
   */
  async addUncountedInterfaces(n: number): Promise<void> {
    for (let i = 0; i < n; i++) this.ifaces.set(`veth-uncounted-${String(i).padStart(4, '0')}`, { rx: 0n, tx: 0n });
    this.counts.ifaceAdded += n;
    await this.write();
  }

  /** A reboot: call only while the agent is down. Every counter starts again from a small value, which all counts. */
  async reboot(): Promise<void> {
    this.bootSeq++;
    this.btime += this.rng.int(600, 100_000);
    this.ifaces.clear();
    for (const n of PERMANENT) {
      this.ifaces.set(n, { rx: 0n, tx: 0n });
      this.add(n, this.rng.big(0n, 200_000n), this.rng.big(0n, 200_000n));
    }
    this.counts.reboots++;
    await this.fixture.update({
      interfaces: Object.fromEntries(this.ifaces),
      bootId: bootId(this.bootSeq),
      btime: this.btime,
    });
  }

  /** The proxy core restarts (counters and uptime to 0); sometimes its port goes away and comes back. */
  async proxyRestart(): Promise<void> {
    await this.stats.restart({ rebind: this.rng.chance(0.3) });
    this.counts.proxyRestarts++;
  }

  /** A new proxy user appears (its whole counter counts). */
  newUser(): void {
    const id = String(this.users.length + 1);
    this.users.push(id);
    this.userAdd(id, this.rng.big(1n, MB), this.rng.big(1n, MB));
  }

  userIds(): number[] {
    return this.users.map(Number);
  }

  async close(): Promise<void> {
    await this.stats.close();
    await this.fixture.remove();
  }
}

function bootId(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
