/** Query and params schemas shared by the read routes (coerced from strings by the query validator). */
import { Type } from '@sinclair/typebox';

export const IdParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) },
  { additionalProperties: false },
);
export const RangeQuery = {
  from: Type.Optional(Type.String({ maxLength: 40 })),
  to: Type.Optional(Type.String({ maxLength: 40 })),
};
export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 10 });
