/**
 * Group commit of heartbeats on PostgreSQL: the heartbeats of many nodes applied in ONE transaction in three round
 * trips whatever the group's size (BEGIN, lock the stats rows and read the high-water marks, in one message; one
 * statement that inserts the records, adds to the hourly rollup, updates the stats and load marks, raises the
 * high-water marks and adds the load samples; COMMIT, by the caller), so a durable commit (one WAL flush, an fsync)
 * and the round trips are paid per group instead of per heartbeat. The write is a named (prepared) statement, planned
 * once per connection, and its numeric arrays are sent as array literals built here. PostgresStore queues heartbeats
 * and calls this with a group of distinct nodes; the accounting is planIngest's and the load sample planLoadSample's,
 * exactly as for a heartbeat alone (a resend's digests are read only for the heartbeats that need them).
 *
 * A heartbeat that planIngest refuses (a CollectorError: node removed, seq too far ahead) gets its own error and
 * nothing of it is written; any other error (the database's) throws, the caller's transaction rolls back as a whole,
 * and the caller applies each heartbeat again alone.
 */
import type pg from 'pg';
import { CollectorError } from '../../errors.js';
import { planIngest, seqsToCompare, type IngestPlan } from '../ingest-plan.js';
import { planLoadSample, type LoadSamplePlan } from '../load-plan.js';
import { checkHeartbeatToken } from '../heartbeat-token.js';
import { digestOrNull, ingestResult, num, toLedger, toLoadMarks } from '../rows.js';
import type { HeartbeatInput, IngestResult } from '../store.js';
import { Q, beginGroupSql } from './sql.js';

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

/**
 * A PostgreSQL array literal of numbers (or decimal strings of 64-bit integers) and NULLs, for an integer[], bigint[] or
 * float8[] parameter: cheaper to build than the driver's element-by-element quoting, and nothing in it needs quoting.
 */
export function numArray(xs: ReadonlyArray<number | string | null | undefined>): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (i) out += ',';
    if (x === null || x === undefined) out += 'NULL';
    else if (typeof x === 'number' ? Number.isFinite(x) : /^-?\d+$/.test(x)) out += x;
    else throw new TypeError(`not a number for a numeric array: ${String(x)}`);
  }
  return `${out}}`;
}

/** The statement that writes a group, prepared once per connection under this name. */
const WRITE_GROUP = 'tc_write_group';
const HELD_DIGESTS = 'tc_held_digests';

/**
 * Opens a transaction on `c` (its BEGIN goes with the first query) and applies `jobs` (distinct nodes) in it; one
 * outcome per job, in order. The caller commits, or rolls back when this throws.
 */
export async function applyHeartbeatGroup(
  c: pg.PoolClient,
  jobs: IngestJob[],
  loadSampleGapMs: number,
): Promise<Outcome[]> {
  const ids = `'${numArray(jobs.map((j) => j.nodeId))}'::integer[]`;
  const epochs = `ARRAY[${jobs.map((j) => c.escapeLiteral(j.hb.epoch)).join(',')}]::text[]`;
  const results = (await c.query(beginGroupSql(ids, epochs))) as unknown as pg.QueryResult[];
  const [locked, waters] = results.slice(-2);
  const ledgers = new Map<number, Row>();
  for (const r of locked.rows as Row[]) ledgers.set(num(r.node_id), r);
  const highWaters = new Map<number, Row>();
  for (const r of waters.rows as Row[]) highWaters.set(num(r.node_id), r);

  const outcomes: Outcome[] = new Array(jobs.length);
  const planned: Array<{ i: number; job: IngestJob; plan: IngestPlan; load: LoadSamplePlan | undefined }> = [];
  for (const [i, job] of jobs.entries()) {
    try {
      const r = ledgers.get(job.nodeId);
      checkHeartbeatToken(job.hb, r?.token_hash);
      if (!r) throw new CollectorError('TC_NODE_NOT_FOUND');
      const before = toLedger(r, highWaters.get(job.nodeId));
      const held = new Map<number, bigint | null>();
      const compare = seqsToCompare(before, job.hb.records);
      if (compare.length) {
        const q = { name: HELD_DIGESTS, text: Q.heldDigests, values: [job.nodeId, job.hb.epoch, compare] };
        for (const d of (await c.query(q)).rows as Row[]) held.set(num(d.seq), digestOrNull(d.digest));
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
    const values = [
      numArray(rec.n),
      rec.e,
      numArray(rec.seq),
      numArray(rec.from),
      numArray(rec.to),
      numArray(recBytes.rx),
      numArray(recBytes.tx),
      recBytes.ev,
      numArray(recBytes.at),
      numArray(digests),
      numArray(hours.n),
      numArray(hours.h),
      numArray(hours.rx),
      numArray(hours.tx),
      numArray(col((p) => p.job.nodeId)),
      numArray(col((p) => str(p.plan.ledger.totalRx))),
      numArray(col((p) => str(p.plan.ledger.totalTx))),
      numArray(col((p) => str(p.plan.ledger.periodRx))),
      numArray(col((p) => str(p.plan.ledger.periodTx))),
      numArray(col((p) => p.plan.ledger.periodStart)),
      numArray(col((p) => p.plan.ledger.periodEnd)),
      numArray(col((p) => p.job.hb.load?.[0] ?? null)),
      numArray(col((p) => p.job.hb.load?.[1] ?? null)),
      numArray(col((p) => p.job.hb.load?.[2] ?? null)),
      numArray(col((p) => p.job.hb.uptimeSec)),
      col((p) => p.job.hb.bootId),
      col((p) => (p.job.hb.host ? JSON.stringify(p.job.hb.host) : null)),
      col((p) => p.job.hb.agentVersion),
      col((p) => p.job.hb.epoch),
      numArray(col((p) => p.job.at)),
      numArray(water.n),
      water.e,
      numArray(water.seq),
      numArray(water.at),
      numArray(col((p) => p.load?.marks.sentAt ?? null)),
      numArray(col((p) => p.load?.marks.sampledAt ?? null)),
      numArray(sampled.map((p) => p.job.nodeId)),
      numArray(sampled.map((p) => p.load?.at)),
      numArray(sampled.map((p) => p.load?.load[0])),
      numArray(sampled.map((p) => p.load?.load[1])),
      numArray(sampled.map((p) => p.load?.load[2])),
    ];

    const r = await c.query({ name: WRITE_GROUP, text: Q.writeGroup, values });
    for (const row of r.rows as Row[]) inserted.set(num(row.node_id), (inserted.get(num(row.node_id)) ?? 0) + 1);
  }
  for (const { i, job, plan } of planned)
    outcomes[i] = { ok: true, value: ingestResult(plan, inserted.get(job.nodeId) ?? 0) };
  return outcomes;
}
