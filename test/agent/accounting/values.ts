/** Hand-made samples and settings for the pure accounting tests. */
import type { AccountingSettings, Sample } from '../../../src/agent/accounting/account-tick.js';
import { interfaceFilter } from '../../../src/agent/sources/interface-filter.js';

export const BOOT_A = 'aaaaaaaa-0000-4000-8000-000000000001';
export const BOOT_B = 'bbbbbbbb-0000-4000-8000-000000000002';
export const EPOCH = '0123456789abcdef';
/** 2025-03-10T12:00:00Z */
export const T0 = Date.UTC(2025, 2, 10, 12);

export function settings(over: Partial<AccountingSettings> = {}): AccountingSettings {
  return {
    isSelected: interfaceFilter([], ['lo*']),
    bits: 64,
    maxBytesPerSec: 1_250_000_000n, // 10 Gbit/s
    resetDay: 1,
    timeZone: 'UTC',
    userIdOf: (e) => (/^\d+$/.test(e) ? e : null),
    ...over,
  };
}

type Ifaces = Record<string, [bigint | number, bigint | number]>;

export function sample(at: number, ifaces: Ifaces, over: Partial<Omit<Sample, 'interfaces'>> = {}): Sample {
  const interfaces = new Map<string, { rxBytes: bigint; txBytes: bigint }>();
  for (const [name, [rx, tx]] of Object.entries(ifaces))
    interfaces.set(name, { rxBytes: BigInt(rx), txBytes: BigInt(tx) });
  return { at, uptimeSec: null, boot: { bootId: BOOT_A, btime: 1_700_000_000 }, interfaces, ...over };
}
