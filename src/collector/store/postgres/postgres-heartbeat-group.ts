/**
 * Group commit of heartbeats on PostgreSQL: the heartbeats of many nodes applied in ONE transaction with one statement
 * per step for all of them (lock the stats rows; read the high-water marks; then one statement inserts the records,
 * adds to the hourly rollup, updates the stats and load marks, raises the high-water marks and adds the load
 * samples), so a durable commit (one WAL flush, an fsync) and the round
 * trips are paid per group instead of per heartbeat. PostgresStore queues heartbeats and calls this with a group of
 * distinct nodes; the accounting is planIngest's and the load sample planLoadSample's, exactly as for a heartbeat alone.
 *
 * A heartbeat that planIngest refuses (a CollectorError: node removed, seq too far ahead) gets its own error and
 * nothing of it is written; any other error (the database's) throws, the caller's transaction rolls back as a whole,
 * and the caller applies each heartbeat again alone.
 */
import type pg from 'pg';
import { CollectorError } from '../../errors.js';
import { planIngest, seqsToCompare, type IngestPlan } from '../ingest-plan.js';
import { planLoadSample, type LoadSamplePlan } from '../load-plan.js';
import { digestOrNull, ingestResult, num, toLedger, toLoadMarks } from '../rows.js';
import type { HeartbeatInput, IngestResult } from '../store.js';
import { Q } from './sql.js';

type Row = Record<string, unknown>;
const str = (v: bigint | number): string => v.toString();

export interface IngestJob {
  nodeId: number;
  hb: HeartbeatInput;
  at: number;
  resolve(r: IngestResult): void;
  reject(err: unknown): void;
}

export type Outcome = { ok: true; value: IngestResult } | { ok: false; error: unknown };

/**
 * Takes from `queue` (in order) up to `max` jobs of distinct nodes: a node's later heartbeat stays queued for the next
 * group, so within a group every node has one heartbeat and one ledger.
 */
export function takeGroup(queue: IngestJob[], max: number): { group: IngestJob[]; rest: IngestJob[] } {
  const group: IngestJob[] = [];
  const rest: IngestJob[] = [];
  const nodes = new Set<number>();
  for (const j of queue) {
    if (group.length < max && !nodes.has(j.nodeId)) {
      nodes.add(j.nodeId);
      group.push(j);
    } else rest.push(j);
  }
  return { group, rest };
}

/** Applies `jobs` (distinct nodes) inside the caller's open transaction on `c`; one outcome per job, in order. */
export async function applyHeartbeatGroup(
  c: pg.PoolClient,
  jobs: IngestJob[],
  loadSampleGapMs: number,
): Promise<Outcome[]> {
  const ids = jobs.map((j) => j.nodeId);
  const ledgers = new Map<number, Row>();
  for (const r of (await c.query(Q.ledgersForUpdate, [ids])).rows as Row[]) ledgers.set(num(r.node_id), r);
  const highWaters = new Map<number, Row>();
  for (const r of (await c.query(Q.highWaters, [ids, jobs.map((j) => j.hb.epoch)])).rows as Row[])
    highWaters.set(num(r.node_id), r);

  const outcomes: Outcome[] = new Array(jobs.length);
  const planned: Array<{ i: number; job: IngestJob; plan: IngestPlan; load: LoadSamplePlan | undefined }> = [];
  for (const [i, job] of jobs.entries()) {
    try {
      const r = ledgers.get(job.nodeId);
      if (!r) throw new CollectorError('TC_NODE_NOT_FOUND');
      const before = toLedger(r, highWaters.get(job.nodeId));
      const held = new Map<number, bigint | null>();
      const compare = seqsToCompare(before, job.hb.records);
      if (compare.length) {
        for (const d of (await c.query(Q.heldDigests, [job.nodeId, job.hb.epoch, compare])).rows as Row[])
          held.set(num(d.seq), digestOrNull(d.digest));
      }
      const plan = planIngest(before, job.hb.records, job.at, held);
      const { hb } = job;
      const load = planLoadSample(
        toLoadMarks(r),
        { load: hb.load, sentAt: hb.sentAt, records: hb.records.length, fresh: plan.fresh.length },
        job.at,
        loadSampleGapMs,
      );
      planned.push({ i, job, plan, load });
    } catch (error) {
      // Only the accounting's refusals are this heartbeat's own; a database error has aborted the transaction.
      if (!(error instanceof CollectorError)) throw error;
      outcomes[i] = { ok: false, error };
    }
  }

  const rec = { n: [] as number[], e: [] as string[], seq: [] as number[], from: [] as number[], to: [] as number[] };
  const recBytes = { rx: [] as string[], tx: [] as string[], ev: [] as Array<string | null>, at: [] as number[] };
  const digests: string[] = [];
  const hours = { n: [] as number[], h: [] as number[], rx: [] as string[], tx: [] as string[] };
  const water = { n: [] as number[], e: [] as string[], seq: [] as number[], at: [] as number[] };
  for (const { job, plan } of planned) {
    if (!plan.fresh.length) continue;
    for (const x of plan.fresh) {
      rec.n.push(job.nodeId);
      rec.e.push(job.hb.epoch);
      rec.seq.push(x.seq);
      rec.from.push(x.from);
      rec.to.push(x.to);
      recBytes.rx.push(str(x.rx));
      recBytes.tx.push(str(x.tx));
      recBytes.ev.push(x.events.length ? JSON.stringify(x.events) : null);
      recBytes.at.push(job.at);
      digests.push(str(x.digest));
    }
    for (const [h, t] of plan.hours) {
      hours.n.push(job.nodeId);
      hours.h.push(h);
      hours.rx.push(str(t.rx));
      hours.tx.push(str(t.tx));
    }
    water.n.push(job.nodeId);
    water.e.push(job.hb.epoch);
    water.seq.push(plan.ledger.highWater);
    water.at.push(job.at);
  }

  const inserted = new Map<number, number>();
  if (planned.length) {
    const col = <T>(f: (p: (typeof planned)[number]) => T): T[] => planned.map(f);
    const sampled = planned.filter((p) => p.load);
    const r = await c.query(Q.writeGroup, [
      rec.n,
      rec.e,
      rec.seq,
      rec.from,
      rec.to,
      recBytes.rx,
      recBytes.tx,
      recBytes.ev,
      recBytes.at,
      digests,
      hours.n,
      hours.h,
      hours.rx,
      hours.tx,
      col((p) => p.job.nodeId),
      col((p) => str(p.plan.ledger.totalRx)),
      col((p) => str(p.plan.ledger.totalTx)),
      col((p) => str(p.plan.ledger.periodRx)),
      col((p) => str(p.plan.ledger.periodTx)),
      col((p) => p.plan.ledger.periodStart),
      col((p) => p.plan.ledger.periodEnd),
      col((p) => p.job.hb.load?.[0] ?? null),
      col((p) => p.job.hb.load?.[1] ?? null),
      col((p) => p.job.hb.load?.[2] ?? null),
      col((p) => p.job.hb.uptimeSec),
      col((p) => p.job.hb.bootId),
      col((p) => (p.job.hb.host ? JSON.stringify(p.job.hb.host) : null)),
      col((p) => p.job.hb.agentVersion),
      col((p) => p.job.hb.epoch),
      col((p) => p.job.at),
      water.n,
      water.e,
      water.seq,
      water.at,
      col((p) => p.load?.marks.sentAt ?? null),
      col((p) => p.load?.marks.sampledAt ?? null),
      sampled.map((p) => p.job.nodeId),
      sampled.map((p) => p.load?.at),
      sampled.map((p) => p.load?.load[0]),
      sampled.map((p) => p.load?.load[1]),
      sampled.map((p) => p.load?.load[2]),
    ]);
    for (const row of r.rows as Row[]) inserted.set(num(row.node_id), (inserted.get(num(row.node_id)) ?? 0) + 1);
  }
  for (const { i, job, plan } of planned)
    outcomes[i] = { ok: true, value: ingestResult(plan, inserted.get(job.nodeId) ?? 0) };
  return outcomes;
}
