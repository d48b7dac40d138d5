/** The end-of-run check: the collector's per-node and per-user totals against the driver's ground truth. */
import type { CollectorProcess } from './collector-control.js';

export interface NodeTruth {
  id: number;
  truth: { rx: bigint; tx: bigint };
  users: ReadonlyMap<string, { up: bigint; down: bigint }>;
  /** The node's rate (the collector multiplies per-user bytes by it); 1 by default. */
  rate?: bigint;
}

export interface Comparison {
  ok: boolean;
  /** One line per node and per user: expected vs got. */
  lines: string[];
  mismatches: string[];
}

const DAY = 86_400_000;

export async function compareTotals(
  collector: CollectorProcess,
  nodes: readonly NodeTruth[],
  runStart: number,
): Promise<Comparison> {
  const lines: string[] = [];
  const mismatches: string[] = [];
  const totals = await collector.nodeTotals();
  for (const n of nodes) {
    const got = totals.get(n.id) ?? { rx: -1n, tx: -1n };
    const line = `node ${n.id}: expected rx ${n.truth.rx} tx ${n.truth.tx}, got rx ${got.rx} tx ${got.tx}`;
    lines.push(line);
    if (got.rx !== n.truth.rx || got.tx !== n.truth.tx) {
      mismatches.push(`MISMATCH ${line} (diff rx ${got.rx - n.truth.rx}, tx ${got.tx - n.truth.tx})`);
    }
  }
  const userIds = new Set<number>();
  for (const n of nodes) for (const u of n.users.keys()) userIds.add(Number(u));
  for (const uid of [...userIds].sort((a, b) => a - b)) {
    const got = await collector.userTraffic(uid, runStart - 2 * DAY, Date.now() + 2 * DAY);
    for (const n of nodes) {
      const t = n.users.get(String(uid)) ?? { up: 0n, down: 0n };
      const rate = n.rate ?? 1n;
      const g = got.get(n.id) ?? { u: 0n, d: 0n };
      const line = `node ${n.id} user ${uid}: expected u ${t.up * rate} d ${t.down * rate}, got u ${g.u} d ${g.d}`;
      lines.push(line);
      if (g.u !== t.up * rate || g.d !== t.down * rate) mismatches.push(`MISMATCH ${line}`);
    }
  }
  return { ok: mismatches.length === 0, lines, mismatches };
}
