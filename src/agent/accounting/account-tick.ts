/**
 * The pure accounting core: (last state, a new sample, settings) -> (next state, the record it produced, what it
 * noticed). It never touches the disk, the clock or the network; the caller persists the result and only then
 * lets a sink see the record.
 */
import { periodStart } from '../../common/calendar.js';
import { MAX_RECORD_EVENTS } from '../../protocol/heartbeat.js';
import { DEFAULT_MAX_USERS_PER_PUSH } from '../../protocol/uniproxy.js';
import type { AgentState, InterfaceMemo, OutboxRecord } from '../state/agent-state.js';
import { STATE_VERSION } from '../state/agent-state.js';
import type { AccountingEvent } from './accounting-event.js';
import { bootChange } from './boot-change.js';
import type { BootIdentity } from './boot-identity.js';
import { counterDelta, type CounterBits, type CounterDelta, type DeltaContext } from './counter-delta.js';
import { rollUp, startRollups } from './rollups.js';
import { userDeltas, type ProxySample } from './user-deltas.js';

export type { AccountingEvent } from './accounting-event.js';

export interface Sample {
  /** Wall clock, unix ms. */
  at: number;
  /** Seconds since boot, when /proc/uptime could be read. */
  uptimeSec: number | null;
  boot: BootIdentity;
  interfaces: ReadonlyMap<string, { rxBytes: bigint; txBytes: bigint }>;
  /** Per-user counters of the proxy core; undefined when not configured, null when unavailable this tick. */
  proxy?: ProxySample | null;
}

export interface AccountingSettings {
  isSelected: (iface: string) => boolean;
  bits: CounterBits;
  maxBytesPerSec: bigint;
  resetDay: number;
  timeZone: string;
  /** Maps a proxy user's email to the user id the panel knows, or null when it does not match. */
  userIdOf: (email: string) => string | null;
  /** Users in one record at most (default DEFAULT_MAX_USERS_PER_PUSH): more make several records. */
  maxUsersPerRecord?: number;
}

export interface TickResult {
  state: AgentState;
  /** The tick's first record (the one with its bytes and events), or null when it made none. */
  record: OutboxRecord | null;
  /** Every record of the tick, in seq order: the first, then one per further maxUsersPerRecord users. */
  records: OutboxRecord[];
  events: AccountingEvent[];
}

/** The state of a first run: today's counters become the baseline, nothing from before the agent existed counts. */
export function baselineState(sample: Sample, epoch: string, settings: AccountingSettings): AgentState {
  const interfaces: Record<string, InterfaceMemo> = {};
  for (const [name, c] of sample.interfaces) interfaces[name] = { rx: c.rxBytes.toString(), tx: c.txBytes.toString() };
  return {
    version: STATE_VERSION,
    epoch,
    nextSeq: 1,
    boot: { ...sample.boot },
    lastSampleAt: sample.at,
    lastUptimeSec: sample.uptimeSec,
    interfaces,
    proxy: sample.proxy
      ? userDeltas(
          null,
          sample.proxy,
          { at: sample.at, hostUptimeSec: sample.uptimeSec, hostRebooted: false },
          settings.userIdOf,
        ).memo
      : null,
    totals: { rx: '0', tx: '0' },
    period: { start: periodStart(sample.at, settings.resetDay, settings.timeZone), rx: '0', tx: '0' },
    outbox: [],
    cursors: {},
    attemptedThrough: 0,
    lastDelivery: {},
    detected: { reboots: 0, resets: 0, wraps: 0, suspicious: 0, proxyRestarts: 0 },
    rollups: startRollups(sample.at),
  };
}

function elapsedSeconds(state: AgentState, sample: Sample, sameBoot: boolean): number {
  if (
    sameBoot &&
    state.lastUptimeSec !== null &&
    sample.uptimeSec !== null &&
    sample.uptimeSec >= state.lastUptimeSec
  ) {
    return sample.uptimeSec - state.lastUptimeSec;
  }
  return Math.max(0, (sample.at - state.lastSampleAt) / 1000);
}

/** What a tick noticed, gathered by its steps: events for the log, tags for the record, the detection counters. */
interface TickNotes {
  events: AccountingEvent[];
  tags: Set<string>;
  detected: AgentState['detected'];
}

/**
 * One tick, in named steps: is this the same boot; the interfaces' deltas; the interfaces that vanished; the
 * per-user deltas; the billing period; the record; the next state.
 */
export function accountTick(state: AgentState, sample: Sample, settings: AccountingSettings): TickResult {
  const notes: TickNotes = { events: [], tags: new Set(), detected: { ...state.detected } };
  const sameBoot = checkBoot(state, sample, notes);
  const ctx: DeltaContext = {
    sameBoot,
    bits: settings.bits,
    elapsedSec: elapsedSeconds(state, sample, sameBoot),
    maxBytesPerSec: settings.maxBytesPerSec,
  };
  const net = countInterfaces(state, sample, settings, ctx, notes);
  // Interfaces that vanished keep their last counters (a return with lower counters is then a reset), but only
  // within this boot: after a reboot their old counters mean nothing.
  if (sameBoot) keepVanishedInterfaces(state, sample, net.interfaces, notes);
  const users = countUsers(state, sample, settings, sameBoot, notes);
  const period = currentPeriod(state, sample, settings, notes);
  const records = makeRecords(state, sample, net, users.users, notes.tags, settings.maxUsersPerRecord);
  return {
    state: {
      ...state,
      nextSeq: state.nextSeq + records.length,
      boot: { ...sample.boot },
      lastSampleAt: sample.at,
      lastUptimeSec: sample.uptimeSec,
      interfaces: net.interfaces,
      proxy: users.proxy,
      totals: { rx: (BigInt(state.totals.rx) + net.rx).toString(), tx: (BigInt(state.totals.tx) + net.tx).toString() },
      period: {
        start: period.start,
        rx: (BigInt(period.rx) + net.rx).toString(),
        tx: (BigInt(period.tx) + net.tx).toString(),
      },
      outbox: records.length ? [...state.outbox, ...records] : state.outbox,
      detected: notes.detected,
      // A state from an agent without rollups starts them now, with what it had counted so far as `before`.
      rollups: rollUp(
        state.rollups ?? startRollups(sample.at, state.totals),
        sample.at,
        net.rx,
        net.tx,
        settings.timeZone,
      ),
    },
    record: records[0] ?? null,
    records,
    events: notes.events,
  };
}

/** Whether the sample comes from the boot of the last one; a reboot is noted. */
function checkBoot(state: AgentState, sample: Sample, notes: TickNotes): boolean {
  const sameBoot = bootChange(state.boot, sample.boot) === 'same';
  if (!sameBoot) {
    notes.events.push({ type: 'reboot', previousBootId: state.boot.bootId, bootId: sample.boot.bootId });
    notes.tags.add('reboot');
    notes.detected.reboots++;
  }
  return sameBoot;
}

interface InterfaceCount {
  /** The counters to keep for every interface of the sample. */
  interfaces: Record<string, InterfaceMemo>;
  /** Bytes of the selected interfaces. */
  rx: bigint;
  tx: bigint;
}

/** Each interface's deltas since the last sample; the selected ones are summed. Resets, wraps and jumps are noted. */
function countInterfaces(
  state: AgentState,
  sample: Sample,
  settings: AccountingSettings,
  ctx: DeltaContext,
  notes: TickNotes,
): InterfaceCount {
  const { events } = notes;
  const interfaces: Record<string, InterfaceMemo> = {};
  let rx = 0n;
  let tx = 0n;
  for (const [name, c] of sample.interfaces) {
    const prev = state.interfaces[name];
    const dRx = counterDelta(prev ? BigInt(prev.rx) : undefined, c.rxBytes, ctx);
    const dTx = counterDelta(prev ? BigInt(prev.tx) : undefined, c.txBytes, ctx);
    interfaces[name] = { rx: c.rxBytes.toString(), tx: c.txBytes.toString() };
    const selected = settings.isSelected(name);
    if (prev?.goneAt !== undefined) events.push({ type: 'interface-back', iface: name });
    noteDelta(name, 'rx', dRx, selected, notes);
    noteDelta(name, 'tx', dTx, selected, notes);
    if (dRx.kind === 'new')
      events.push({ type: 'new-interface', iface: name, direction: 'both', delta: (dRx.delta + dTx.delta).toString() });
    if (selected) {
      rx += dRx.delta;
      tx += dTx.delta;
    }
  }
  return { interfaces, rx, tx };
}

/** A reset, wrap, implausible or suspicious delta of one direction: an event, a tag when selected, a count. */
function noteDelta(name: string, dir: 'rx' | 'tx', d: CounterDelta, selected: boolean, notes: TickNotes): void {
  const { events, tags, detected } = notes;
  if (d.kind === 'reset' || d.kind === 'wrap') {
    events.push({ type: d.kind, iface: name, direction: dir, delta: d.delta.toString() });
    if (selected) tags.add(`${d.kind}:${name}`);
    if (d.kind === 'reset') detected.resets++;
    else detected.wraps++;
  }
  if (d.kind === 'implausible') {
    events.push({ type: 'implausible', iface: name, direction: dir, delta: '0' });
    if (selected) tags.add(`implausible:${name}`);
    detected.suspicious++;
  } else if (d.suspicious) {
    events.push({ type: 'suspicious', iface: name, direction: dir, delta: d.delta.toString() });
    if (selected) tags.add(`suspicious:${name}`);
    detected.suspicious++;
  }
}

/** Interfaces of the last sample missing from this one: their counters are kept, marked gone since this sample. */
function keepVanishedInterfaces(
  state: AgentState,
  sample: Sample,
  interfaces: Record<string, InterfaceMemo>,
  notes: TickNotes,
): void {
  for (const [name, memo] of Object.entries(state.interfaces)) {
    if (sample.interfaces.has(name)) continue;
    if (memo.goneAt === undefined) notes.events.push({ type: 'interface-gone', iface: name });
    interfaces[name] = { rx: memo.rx, tx: memo.tx, goneAt: memo.goneAt ?? sample.at };
  }
}

/** The per-user deltas and the proxy memo to keep; a proxy core that is not configured (any more) is forgotten. */
function countUsers(
  state: AgentState,
  sample: Sample,
  settings: AccountingSettings,
  sameBoot: boolean,
  notes: TickNotes,
): { proxy: AgentState['proxy']; users: Record<string, [string, string]> | undefined } {
  if (sample.proxy === undefined) return { proxy: null, users: undefined }; // a later re-enable takes a fresh baseline
  if (sample.proxy === null) return { proxy: state.proxy, users: undefined }; // unavailable this tick: keep the memo
  const u = userDeltas(
    state.proxy,
    sample.proxy,
    { at: sample.at, hostUptimeSec: sample.uptimeSec, hostRebooted: !sameBoot },
    settings.userIdOf,
  );
  notes.events.push(...u.events);
  if (u.events.some((e) => e.type === 'proxy-restart')) {
    notes.detected.proxyRestarts++;
    notes.tags.add('proxy-restart');
  }
  return { proxy: u.memo, users: Object.keys(u.users).length > 0 ? u.users : undefined };
}

/** The billing period the sample falls in: the current one, or a new one from zero (noted). */
function currentPeriod(
  state: AgentState,
  sample: Sample,
  settings: AccountingSettings,
  notes: TickNotes,
): AgentState['period'] {
  const start = periodStart(sample.at, settings.resetDay, settings.timeZone);
  if (start === state.period.start) return state.period;
  notes.events.push({ type: 'period-start', start });
  return { start, rx: '0', tx: '0' };
}

/**
 * The records of this tick: one when it has bytes, users or something noticed, taking the next seq. Its users are
 * split into records of at most `maxUsers` (the first keeps the bytes and events, the others carry 0 bytes and the
 * same times), each with its own seq, so no push is ever bigger than the collector accepts and a resend of any of
 * them is recognised by its own Idempotency-Key.
 */
function makeRecords(
  state: AgentState,
  sample: Sample,
  net: InterfaceCount,
  users: Record<string, [string, string]> | undefined,
  tags: ReadonlySet<string>,
  maxUsers = DEFAULT_MAX_USERS_PER_PUSH,
): OutboxRecord[] {
  if (net.rx === 0n && net.tx === 0n && !users && tags.size === 0) return [];
  const from = Math.min(state.lastSampleAt, sample.at);
  const parts = users ? splitUsers(users, maxUsers) : [undefined];
  return parts.map((part, i) => ({
    seq: state.nextSeq + i,
    from,
    to: sample.at,
    rx: i === 0 ? net.rx.toString() : '0',
    tx: i === 0 ? net.tx.toString() : '0',
    ...(i === 0 && tags.size > 0 ? { events: [...tags].slice(0, MAX_RECORD_EVENTS) } : {}),
    ...(part ? { users: part } : {}),
  }));
}

function splitUsers(
  users: Record<string, [string, string]>,
  maxUsers: number,
): Array<Record<string, [string, string]>> {
  const entries = Object.entries(users);
  if (entries.length <= maxUsers) return [users];
  const parts: Array<Record<string, [string, string]>> = [];
  for (let i = 0; i < entries.length; i += maxUsers) parts.push(Object.fromEntries(entries.slice(i, i + maxUsers)));
  return parts;
}
