/**
 * POST /api/v1/agent/heartbeat (src/protocol/heartbeat.ts). The bearer token names the node; the body's records are
 * stored exactly once (store.ingestHeartbeat) and every seq of the request the collector holds is acknowledged.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { HEARTBEAT_PATH, HeartbeatRequest, HeartbeatResponse, ErrorBody } from '../../protocol/heartbeat.js';
import { parseU64 } from '../../protocol/u64.js';
import type { AppContext } from '../context.js';
import { doc } from './schemas.js';
import { CollectorError } from '../errors.js';
import type { IngestRecord, NodeInfo } from '../store/store.js';
import { bearerToken, hashMatches, hashToken } from '../tokens.js';
import { throttleFailure } from './auth-failure.js';

declare module 'fastify' {
  interface FastifyRequest {
    node?: NodeInfo;
    /** The hash of the token the heartbeat was authenticated with (checked again when it is written). */
    nodeTokenHash?: Buffer;
  }
}

/** A byte count as u64, or TC_BAD_COUNT naming the field (only this error means TC_BAD_COUNT). */
function count(value: string, field: string): bigint {
  try {
    return parseU64(value, field);
  } catch (err) {
    throw new CollectorError('TC_BAD_COUNT', (err as Error).message);
  }
}

export function toIngestRecords(body: HeartbeatRequest): IngestRecord[] {
  const out: IngestRecord[] = [];
  let prev = 0;
  for (const [i, r] of body.records.entries()) {
    if (r.seq <= prev) throw new CollectorError('TC_RECORDS_ORDER', `records/${i}/seq ${r.seq} after ${prev}`);
    if (r.from > r.to) throw new CollectorError('TC_RECORDS_ORDER', `records/${i}: from > to`);
    prev = r.seq;
    out.push({
      seq: r.seq,
      from: r.from,
      to: r.to,
      rx: count(r.rx, `records/${i}/rx`),
      tx: count(r.tx, `records/${i}/tx`),
      events: r.events ?? [],
    });
  }
  return out;
}

export const heartbeatRoutes =
  (ctx: AppContext): FastifyPluginAsync =>
  async (app) => {
    const refuse = (req: FastifyRequest, reply: FastifyReply) =>
      new CollectorError(throttleFailure(ctx, req, reply) ? 'TC_RATE_LIMITED' : 'TC_UNAUTHORIZED');
    // Before the body is read (onRequest): a refused heartbeat costs a hash and one indexed lookup, never a parse.
    // The lookup may come from the store's cache (checkedOnWrite): the write checks the token again (tokenHash).
    const authNode = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
      const hash = hashToken(bearerToken(req.headers.authorization) ?? '');
      const found = await ctx.store.findNodeByTokenHash(hash, { checkedOnWrite: true });
      if (found && hashMatches(hash, found.tokenHash)) {
        req.node = found.node;
        req.nodeTokenHash = hash;
        return;
      }
      throw refuse(req, reply);
    };

    app.post<{ Body: HeartbeatRequest }>(
      HEARTBEAT_PATH,
      {
        onRequest: authNode,
        schema: {
          ...doc('agent', 'node', 'Deliver counted records; every seq the collector holds is acknowledged'),
          body: HeartbeatRequest,
          response: { 200: HeartbeatResponse, '4xx': ErrorBody },
        },
      },
      async (req, reply) => {
        const body = req.body;
        const node = req.node as NodeInfo;
        const records = toIngestRecords(body);
        const at = ctx.now();
        const res = await ctx.store
          .ingestHeartbeat(
            node.id,
            {
              epoch: body.epoch,
              records,
              load: body.load as [number, number, number] | null,
              uptimeSec: body.uptimeSec,
              bootId: body.bootId,
              agentVersion: body.agentVersion,
              host: body.host ?? null,
              sentAt: body.sentAt,
              tokenHash: req.nodeTokenHash,
            },
            at,
          )
          .catch((err: unknown) => {
            // The token was rotated or the node removed (by another collector) since the lookup: nothing written.
            throw err instanceof CollectorError && err.code === 'TC_UNAUTHORIZED' ? refuse(req, reply) : err;
          });
        ctx.metrics.ingestRecords.inc(res.inserted);
        ctx.changes.publish(node.id);
        ctx.metrics.duplicates.inc(res.duplicates);
        if (res.unverified) ctx.metrics.unverifiedDuplicates.inc({ kind: 'record' }, res.unverified);
        if (res.conflict) {
          // Records before the conflicting one are stored and acknowledged (200); when it comes first, 409.
          const { seq, reason } = res.conflict;
          const err = new CollectorError(
            'TC_RECORD_CONFLICT',
            `epoch ${body.epoch} seq ${seq}: ${reason === 'different-contents' ? 'held with different contents' : 'under the high-water seq but never stored'}`,
          );
          ctx.metrics.conflicts.inc({ kind: 'record' });
          req.log.warn({ code: err.code, nodeId: node.id, epoch: body.epoch, seq, reason }, err.message);
          if (res.acked.length === 0) throw err;
        }
        return { nodeId: node.id, epoch: body.epoch, acked: res.acked, duplicates: res.duplicates, serverTime: at };
      },
    );
  };
