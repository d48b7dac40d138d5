/**
 * Did the machine boot again between two samples? The boot id decides whenever both samples have one; btime decides
 * only where no boot id exists, and only when it moved by more than the tolerance (clock steps and VM snapshot
 * restores move btime by a little without a reboot).
 */
import type { BootIdentity } from './boot-identity.js';

export const BTIME_TOLERANCE_SEC = 10;

export type BootVerdict = 'same' | 'rebooted';

export function bootChange(prev: BootIdentity, cur: BootIdentity, toleranceSec = BTIME_TOLERANCE_SEC): BootVerdict {
  if (prev.bootId && cur.bootId) return prev.bootId === cur.bootId ? 'same' : 'rebooted';
  if (prev.btime !== null && cur.btime !== null) {
    return Math.abs(cur.btime - prev.btime) > toleranceSec ? 'rebooted' : 'same';
  }
  return 'same';
}
