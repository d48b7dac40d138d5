/** Query and params schemas shared by the read routes (coerced from strings by the query validator). */
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { CollectorError } from '../errors.js';

export const IdParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) },
  { additionalProperties: false },
);
export const RangeQuery = {
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
};
export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 10 });

/** Response schemas shared by the admin routes (fastify serializes the answer by them; OpenAPI documents them). */
export const NullableInt = (description?: string) =>
  Type.Union([Type.Integer(), Type.Null()], description ? { description } : {});
/** A count of bytes as a decimal string (exact past 2^53). */
export const BytesText = (description = 'bytes, a decimal string (exact past 2^53)') =>
  Type.String({ pattern: '^[0-9]+$', description });
export const Removed = Type.Object({ id: Type.Integer(), removed: Type.Boolean() }, { additionalProperties: false });

/**
 * preValidation hook: every path id is canonical decimal (`1`, never `01`, `0x1`, ` 1`, `1e0`, `+1`), checked on the
 * raw (URL-decoded) text before the schema's coercion could read any of those as 1.
 */
export async function canonicalIds(req: FastifyRequest): Promise<void> {
  for (const [name, value] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && !/^(0|[1-9][0-9]*)$/.test(value))
      throw new CollectorError(
        'TC_VALIDATION',
        `params/${name} must be a decimal integer without sign or leading zeros`,
      );
  }
}

/** Who may call a route, as the OpenAPI document declares it (components.securitySchemes in ../openapi.ts). */
export type RouteAuth = 'admin' | 'node' | 'panel' | 'none';
const SECURITY: Record<RouteAuth, Array<Record<string, string[]>>> = {
  admin: [{ adminToken: [] }],
  node: [{ nodeToken: [] }],
  panel: [{ panelToken: [] }],
  none: [],
};

/**
 * The OpenAPI description of a route, spread into its `schema` (@fastify/swagger reads these keys; fastify's
 * validation ignores them). test/collector/openapi.test.ts refuses a route without one.
 */
export function doc(tag: string, auth: RouteAuth, summary: string, description?: string) {
  return { tags: [tag], summary, ...(description ? { description } : {}), security: SECURITY[auth] };
}
