/**
 * Whole-process CPU for the benches, as the operator's tools see it: utime + stime from /proc/PID/stat (clock ticks of
 * 10 ms: USER_HZ = 100 on Linux), in µs. A PostgreSQL cluster's CPU is its postmaster's own, what its exited children
 * left (cutime + cstime, which the postmaster collects when it reaps them) and every live child's, split into the
 * backends that serve connections and the background processes (WAL writer, checkpointer, ...). The same accounting
 * before it is rounded to clock ticks: each thread's run time in ns from /proc/PID/task/TID/schedstat (threadCpuNs).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_US = 1e6 / 100;

/** The fields after the command name of /proc/PID/stat (field 3 of the man page is index 0), or undefined once gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process in µs (0 when it is gone). */
export function processCpuUs(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_US : 0;
}

/** This process's own CPU (the bench client) in µs, from the same source as the others'. */
export const selfCpuUs = (): number => processCpuUs(process.pid);

/** Run time of each live thread of the process, in ns, from /proc/PID/task/TID/schedstat (its first field). */
export function threadCpuNs(pid: number): Map<string, number> {
  const byTid = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      byTid.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // ENOENT: it exited since the listing
    }
  }
  if (byTid.size === 0) throw new Error(`no thread of process ${pid} has a readable schedstat`);
  return byTid;
}

/** CPU between two threadCpuNs() snapshots in seconds, and how many threads of the first are gone in the second. */
export function cpuBetween(before: Map<string, number>, after: Map<string, number>): { sec: number; exited: number } {
  let ns = 0;
  for (const [tid, t] of after) ns += t - (before.get(tid) ?? 0);
  let exited = 0;
  for (const tid of before.keys()) if (!after.has(tid)) exited++;
  return { sec: ns / 1e9, exited };
}

export interface PgCpu {
  /** Processes serving client connections (the collectors' pools and LISTEN connections). */
  backends: number;
  /** The postmaster and its background processes, and whatever exited children left. */
  background: number;
}

/** CPU of a PostgreSQL cluster whose postmaster is `postmasterPid`, in µs so far. */
export function pgClusterCpuUs(postmasterPid: number): PgCpu {
  const pm = statFields(postmasterPid);
  if (!pm) return { backends: 0, background: 0 };
  let backends = 0;
  let background = (Number(pm[11]) + Number(pm[12]) + Number(pm[13]) + Number(pm[14])) * TICK_US;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === postmasterPid) continue;
    const f = statFields(pid);
    if (!f || Number(f[1]) !== postmasterPid) continue;
    const us = (Number(f[11]) + Number(f[12])) * TICK_US;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    // A backend's title is "postgres: USER DATABASE HOST(PORT) STATE"; the background processes' name themselves.
    if (/\(\d+\)/.test(cmd)) backends += us;
    else background += us;
  }
  return { backends, background };
}
