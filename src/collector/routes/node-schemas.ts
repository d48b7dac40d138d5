/** The answers of the node routes (views.ts nodeView and the series), as fastify serializes and OpenAPI documents them. */
import { Type } from '@sinclair/typebox';
import { HostFacts } from '../../protocol/heartbeat.js';
import { BytesText, NullableInt } from './schemas.js';

const OrNull = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

/** One node (views.ts nodeView): also what GET /api/v1/live carries in its `nodes` events. */
export const NodeView = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    rate: Type.String({ description: 'billing multiplier, a decimal string' }),
    resetDay: Type.Integer(),
    timezone: Type.String(),
    createdAt: Type.Integer(),
    online: Type.Boolean(),
    lastSeen: NullableInt('unix ms of the last heartbeat; null: never'),
    traffic: Type.Object(
      {
        totalRx: BytesText(),
        totalTx: BytesText(),
        total: BytesText(),
        periodRx: BytesText(),
        periodTx: BytesText(),
        period: BytesText(),
        periodStart: Type.Integer(),
        periodEnd: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    currentRate: OrNull(
      Type.Object(
        { rxBps: Type.Number(), txBps: Type.Number(), spanMs: Type.Number() },
        { additionalProperties: false, description: 'bits per second from the newest record; null: offline' },
      ),
    ),
    load: OrNull(Type.Array(Type.Number(), { minItems: 3, maxItems: 3, description: 'load 1/5/15' })),
    uptimeSec: OrNull(Type.Number()),
    bootId: OrNull(Type.String()),
    host: OrNull(HostFacts),
    agentVersion: OrNull(Type.String()),
    lastEpoch: OrNull(Type.String()),
  },
  { additionalProperties: false },
);

export const NodeList = Type.Object(
  {
    nodes: Type.Array(NodeView),
    serverTime: Type.Integer(),
    heartbeatIntervalSec: Type.Integer(),
    offlineAfterMs: Type.Integer(),
    timezone: Type.String(),
  },
  { additionalProperties: false },
);

export const NodeSeries = Type.Object(
  {
    nodeId: Type.Integer(),
    step: Type.Union([Type.Literal('hour'), Type.Literal('day')]),
    from: Type.Integer(),
    to: Type.Integer(),
    timezone: Type.String({ description: 'the zone of the day buckets (UTC for hours)' }),
    points: Type.Array(
      Type.Object(
        { at: Type.Integer(), rx: BytesText(), tx: BytesText(), total: BytesText() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
