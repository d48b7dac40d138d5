/**
 * What identifies the running boot, as the accounting core sees it: the kernel's boot_id (a fresh UUID on every boot)
 * where it has one, and btime (boot time in unix seconds). The core owns this type; the reader (sources/boot.ts)
 * fills it from /proc.
 */
export interface BootIdentity {
  bootId: string | null;
  btime: number | null;
}
