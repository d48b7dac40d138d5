/**
 * Pure formatting for the dashboard: byte counts arrive as decimal strings (they can exceed 2^53), are added and
 * compared as BigInt, and are shown in binary units. No DOM here, so Node tests can import it.
 */
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** Parses a decimal byte string; anything else (null, "", "-1", "1.5") is 0n rather than a throw in the middle of a render. */
export function toBig(value: unknown): bigint {
  if (typeof value === 'bigint') return value >= 0n ? value : 0n;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : 0n;
  if (typeof value === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(value)) return BigInt(value);
  return 0n;
}

/** 1536n -> "1.50 KiB"; three significant digits, exact below 1 KiB. Works past 2^53 (scaled in BigInt first). */
export function formatBytes(bytes: bigint): string {
  if (bytes < 1024n) return `${bytes} B`;
  let unit = 0;
  let divisor = 1n;
  while (unit < UNITS.length - 1 && bytes >= divisor * 1024n) {
    divisor *= 1024n;
    unit++;
  }
  // Thousandths of the unit, exact in BigInt, then small enough for a double.
  let value = Number((bytes * 1000n) / divisor) / 1000;
  if (value >= 1023.5 && unit < UNITS.length - 1) {
    value /= 1024; // 1023.9 KiB would print as "1024 KiB": say "1.00 MiB"
    unit++;
  }
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Same scale for a plain number of bytes (chart axes). */
export function formatBytesNumber(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  let unit = 0;
  let v = bytes;
  while (v >= 1024 && unit < UNITS.length - 1) {
    v /= 1024;
    unit++;
  }
  const digits = v >= 100 ? 0 : v >= 10 ? 1 : 2;
  return `${v.toFixed(digits)} ${UNITS[unit]}`;
}

/** An axis label: "1.5 TiB", "512 GiB", "1 TiB" (no trailing zeros). */
export function formatBytesCompact(bytes: number): string {
  const s = formatBytesNumber(bytes);
  return s.includes('.') ? s.replace(/0+ /, ' ').replace('. ', ' ') : s;
}

/** "1 node", "2 nodes", "0 nodes": the count and the word, plural unless the count is exactly 1. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

const BIT_UNITS = ['bit/s', 'kbit/s', 'Mbit/s', 'Gbit/s', 'Tbit/s', 'Pbit/s'] as const;

/** A rate in bits per second, in decimal units as links are sold: 0 -> "0 bit/s", 12_345_678 -> "12.3 Mbit/s". */
export function formatBitRate(bps: number | null): string {
  if (bps === null || !Number.isFinite(bps) || bps < 0) return '–';
  if (bps < 1000) return `${Math.round(bps)} bit/s`;
  let unit = 0;
  let v = bps;
  while (v >= 999.5 && unit < BIT_UNITS.length - 1) {
    v /= 1000;
    unit++;
  }
  const digits = v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)} ${BIT_UNITS[unit]}`;
}

export function formatLoad(load: readonly [number, number, number] | null): string {
  if (!load) return '–';
  return load.map((l) => l.toFixed(2)).join(' / ');
}

/** 93784 -> "1d 2h 3m"; null -> "–". */
export function formatDuration(sec: number | null): string {
  if (sec === null || !Number.isFinite(sec) || sec < 0) return '–';
  const s = Math.floor(sec);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** How long ago `at` (unix ms) was, relative to `now`: "12s ago", "5m ago", "3h ago", "2d ago", "never". */
export function formatAgo(at: number | null, now: number): string {
  if (at === null) return 'never';
  const sec = Math.max(0, Math.round((now - at) / 1000));
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ago`;
  if (sec < 86_400) return `${Math.floor(sec / 3600)}h ago`;
  return `${Math.floor(sec / 86_400)}d ago`;
}

/** "2025-11-23 09:16" in the browser's zone (the title attribute of "last seen"). */
export function formatDateTime(at: number | null): string {
  if (at === null) return '';
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function compareBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
