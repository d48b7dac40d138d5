/**
 * The shape of the local traffic rollups kept in the state (see accounting/rollups.ts for how they are updated).
 * Buckets are tuples, not objects, to keep the state file small: it is encoded, hashed and written on every tick.
 */
import { Type, type Static } from '@sinclair/typebox';
import { U64String, UnixMs } from '../../protocol/heartbeat.js';

const LocalDay = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'local date YYYY-MM-DD' });
const LocalMonth = Type.String({ pattern: '^\\d{4}-\\d{2}$', description: 'local month YYYY-MM' });

export const Rollups = Type.Object({
  /** When the rollups began (the first run, or the first tick of an agent that updated from one without them). */
  since: UnixMs,
  /** Totals already counted when the rollups began: buckets + before = totals (while nothing was evicted). */
  before: Type.Object({ rx: U64String, tx: U64String }),
  /** [start of the local hour (unix ms), rx, tx], oldest first, the last 48 hours. */
  hours: Type.Array(Type.Tuple([UnixMs, U64String, U64String])),
  /** [local date, rx, tx], oldest first, the last 62 days. */
  days: Type.Array(Type.Tuple([LocalDay, U64String, U64String])),
  /** [local month, rx, tx], oldest first, the last 24 months. */
  months: Type.Array(Type.Tuple([LocalMonth, U64String, U64String])),
  /** [local date, rx, tx], the 10 days with the most traffic ever, biggest first. */
  top: Type.Array(Type.Tuple([LocalDay, U64String, U64String])),
});
export type Rollups = Static<typeof Rollups>;
