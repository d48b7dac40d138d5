/** Turns the config into the plain values the pure accounting core takes. */
import { machine } from 'node:os';
import type { AccountingSettings } from '../accounting/account-tick.js';
import { counterBitsFor } from '../accounting/counter-bits.js';
import type { AgentConfig } from '../config/schema.js';
import { interfaceFilter } from '../sources/interface-filter.js';
import { compileEmailPattern } from '../sources/proxy-stats/parse-user-counters.js';

export function userIdMapper(pattern: string): (email: string) => string | null {
  const re = compileEmailPattern(pattern);
  return (email) => {
    const m = re.exec(email);
    if (!m) return null;
    const id = m.groups && 'id' in m.groups ? m.groups.id : m[1];
    return id === undefined || id === '' ? null : id;
  };
}

export function accountingSettings(cfg: AgentConfig, kernelMachine: string = machine()): AccountingSettings {
  return {
    isSelected: interfaceFilter(cfg.interfaces.include, cfg.interfaces.exclude),
    bits: counterBitsFor(cfg.counterBits, kernelMachine),
    maxBytesPerSec: BigInt(Math.ceil(cfg.maxRateBitsPerSec / 8)),
    resetDay: cfg.period.resetDay,
    timeZone: cfg.period.timezone,
    userIdOf: userIdMapper(cfg.userTraffic.emailPattern),
    maxUsersPerRecord: cfg.userTraffic.maxUsersPerPush,
  };
}
