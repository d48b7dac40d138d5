/**
 * /proc/net/dev: every interface's RX/TX byte and packet counters, read exactly as unsigned 64-bit values.
 * The kernel prints `  name: rx_bytes rx_packets errs drop fifo frame compressed multicast tx_bytes tx_packets ...`;
 * an interface name may itself contain a colon (aliases), so it ends at the LAST colon before the numbers.
 * /proc files are read synchronously, as every /proc reader does: the kernel answers from memory, and a thread-pool
 * round trip per file costs more CPU than the read itself.
 */
import { AgentError } from '../errors.js';
import { procfs } from './procfs.js';

export interface InterfaceCounters {
  rxBytes: bigint;
  rxPackets: bigint;
  txBytes: bigint;
  txPackets: bigint;
}

export interface NetDevParse {
  interfaces: Map<string, InterfaceCounters>;
  /** Lines that could not be parsed, each with the reason; the rest of the file is still used. */
  problems: string[];
}

const FIELDS = 16;
/** 2^64 - 1: of two strings of 20 digits, the greater as text is the greater number. */
const U64_MAX_TEXT = '18446744073709551615';
const DIGITS = /^[0-9]{1,20}$/;

/** The index of the first field that is not an unsigned 64-bit integer, or -1 (no BigInt made for the check). */
function badField(fields: readonly string[]): number {
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k];
    if (!DIGITS.test(f) || (f.length === U64_MAX_TEXT.length && f > U64_MAX_TEXT)) return k;
  }
  return -1;
}

export function parseNetDev(text: string): NetDevParse {
  const interfaces = new Map<string, InterfaceCounters>();
  const problems: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.includes('|')) continue; // blank or one of the two header lines
    const colon = line.lastIndexOf(':');
    if (colon < 0) {
      problems.push(`line ${i + 1}: no "name:" prefix`);
      continue;
    }
    const name = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (name === '') {
      problems.push(`line ${i + 1}: empty interface name`);
      continue;
    }
    if (fields.length !== FIELDS) {
      problems.push(`line ${i + 1} (${name}): expected ${FIELDS} counters, found ${fields.length}`);
      continue;
    }
    const bad = badField(fields);
    if (bad >= 0) {
      problems.push(
        `line ${i + 1} (${name}): field ${bad + 1} is not an unsigned 64-bit integer: ${JSON.stringify(fields[bad])}`,
      );
      continue;
    }
    if (interfaces.has(name)) {
      problems.push(`line ${i + 1} (${name}): interface listed twice; the first line is used`);
      continue;
    }
    interfaces.set(name, {
      rxBytes: BigInt(fields[0]),
      rxPackets: BigInt(fields[1]),
      txBytes: BigInt(fields[8]),
      txPackets: BigInt(fields[9]),
    });
  }
  return { interfaces, problems };
}

export async function readNetDev(procRoot: string): Promise<NetDevParse> {
  const proc = procfs(procRoot);
  const parsed = parseNetDev(proc.readFile('net', 'dev'));
  if (parsed.interfaces.size === 0 && parsed.problems.length > 0) {
    throw new AgentError(
      'PROC_MALFORMED',
      `${proc.path('net', 'dev')}: no interface line could be parsed`,
      parsed.problems,
    );
  }
  return parsed;
}
