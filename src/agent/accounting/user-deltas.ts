/**
 * Per-user counters of the proxy core, accounted like interface counters: read WITHOUT reset, the delta against the
 * last persisted counters. A restart of the core (its uptime went backwards against the wall clock) means every
 * counter counts from zero; one counter that went down alone is a reset of that user. A user whose counters vanish
 * leaves no state behind: if it comes back, it comes back from zero.
 */
import type { AccountingEvent } from './accounting-event.js';

export interface ProxySample {
  uptimeSec: number;
  /** Counters by the user's email, as the core names them. */
  users: ReadonlyMap<string, { up: bigint; down: bigint }>;
}

export interface ProxyMemo {
  uptimeSec: number;
  sampledAt: number;
  hostUptimeSec?: number | null;
  users: Record<string, { up: string; down: string }>;
}

/** Uptime may lag the wall clock by this much before we call it a restart. */
const UPTIME_SLACK_SEC = 10;

/** When the sample was taken, by the wall clock and by the host's monotonic uptime, and whether the host rebooted. */
export interface ProxySampleTime {
  at: number;
  hostUptimeSec: number | null;
  hostRebooted: boolean;
}

/** Seconds between two proxy samples: by the host's uptime where both have it on one boot, else the wall clock. */
function elapsedSince(prev: ProxyMemo, now: ProxySampleTime): number {
  const a = prev.hostUptimeSec;
  const b = now.hostUptimeSec;
  if (!now.hostRebooted && a != null && b != null && b >= a) return b - a;
  return Math.max(0, (now.at - prev.sampledAt) / 1000);
}

export function userDeltas(
  prev: ProxyMemo | null,
  cur: ProxySample,
  when: ProxySampleTime,
  userIdOf: (email: string) => string | null,
): { memo: ProxyMemo; users: Record<string, [string, string]>; events: AccountingEvent[] } {
  const events: AccountingEvent[] = [];
  const memoUsers: Record<string, { up: string; down: string }> = {};
  for (const [email, c] of cur.users) memoUsers[email] = { up: c.up.toString(), down: c.down.toString() };
  const memo: ProxyMemo = {
    uptimeSec: cur.uptimeSec,
    sampledAt: when.at,
    hostUptimeSec: when.hostUptimeSec,
    users: memoUsers,
  };
  if (prev === null) {
    events.push({ type: 'proxy-baseline' });
    return { memo, users: {}, events };
  }
  // The core restarted if its uptime is behind where the elapsed time says it should be. Elapsed time comes from the
  // host's monotonic uptime, so a wall-clock step cannot look like a restart; across a host reboot only the wall
  // clock is left (the core may run elsewhere and not have restarted with this host).
  const restarted = cur.uptimeSec + UPTIME_SLACK_SEC < prev.uptimeSec + elapsedSince(prev, when);
  if (restarted) events.push({ type: 'proxy-restart' });

  const sums = new Map<string, [bigint, bigint]>();
  for (const [email, c] of cur.users) {
    const before = restarted ? undefined : prev.users[email];
    let up = c.up;
    let down = c.down;
    if (before) {
      const bUp = BigInt(before.up);
      const bDown = BigInt(before.down);
      if (c.up < bUp || c.down < bDown) {
        events.push({ type: 'user-reset', email });
      } else {
        up = c.up - bUp;
        down = c.down - bDown;
      }
    }
    if (up === 0n && down === 0n) continue;
    const id = userIdOf(email);
    if (id === null) {
      events.push({ type: 'user-unmatched', email });
      continue;
    }
    const s = sums.get(id) ?? [0n, 0n];
    sums.set(id, [s[0] + up, s[1] + down]);
  }
  const users: Record<string, [string, string]> = {};
  for (const [id, [up, down]] of sums) users[id] = [up.toString(), down.toString()];
  return { memo, users, events };
}
