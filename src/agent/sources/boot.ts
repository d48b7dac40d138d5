/**
 * What identifies the running boot: /proc/sys/kernel/random/boot_id (a fresh UUID on every boot) when the kernel
 * has it, and btime from /proc/stat (boot time in unix seconds, which also moves on a clock step or a VM snapshot
 * restore, so it only decides where no boot id exists). Plus /proc/uptime for the heartbeat.
 */
import type { BootIdentity } from '../accounting/boot-identity.js';
import { AgentError } from '../errors.js';
import { procfs } from './procfs.js';

export type { BootIdentity };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseBootId(text: string): string | null {
  const id = text.trim().toLowerCase();
  return UUID.test(id) ? id : null;
}

export function parseStatBtime(text: string): number | null {
  const m = /^btime\s+([0-9]+)\s*$/m.exec(text);
  return m ? Number(m[1]) : null;
}

export function parseUptime(text: string): number {
  const v = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(v) || v < 0)
    throw new AgentError('PROC_MALFORMED', `uptime: not a number: ${JSON.stringify(text.slice(0, 40))}`);
  return v;
}

export async function readBootIdentity(procRoot: string): Promise<BootIdentity> {
  const proc = procfs(procRoot);
  const idText = proc.readOptional('sys', 'kernel', 'random', 'boot_id');
  const statText = proc.readOptional('stat');
  return {
    bootId: idText === null ? null : parseBootId(idText),
    btime: statText === null ? null : parseStatBtime(statText),
  };
}

/** Seconds since boot, or null where /proc/uptime is missing (fixture trees may leave it out). */
export async function readUptime(procRoot: string): Promise<number | null> {
  const text = procfs(procRoot).readOptional('uptime');
  return text === null ? null : parseUptime(text);
}
