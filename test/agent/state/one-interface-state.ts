/**
 * The state the state-file tests save: a baseline of one interface (eth0, rx 5, tx 6), no boot id, epoch
 * 0123456789abcdef. Taken at the time of the call.
 */
import { baselineState } from '../../../src/agent/accounting/account-tick.js';
import type { AgentState } from '../../../src/agent/state/agent-state.js';

export function oneInterfaceState(): AgentState {
  return baselineState(
    {
      at: Date.now(),
      uptimeSec: 10,
      boot: { bootId: null, btime: 1 },
      interfaces: new Map([['eth0', { rxBytes: 5n, txBytes: 6n }]]),
    },
    '0123456789abcdef',
    { isSelected: () => true, bits: 64, maxBytesPerSec: 1n, resetDay: 1, timeZone: 'UTC', userIdOf: () => null },
  );
}
