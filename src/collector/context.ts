/** What every route plugin receives: the store, the frozen config, metrics, the auth limiter, the clock, node changes. */
import type { CollectorConfig } from './config.js';
import type { AuthFailureLimiter } from './auth-limiter.js';
import type { NodeChanges } from './live/node-changes.js';
import type { CollectorMetrics } from './metrics.js';
import type { Store } from './store/store.js';

export interface AppContext {
  store: Store;
  config: CollectorConfig;
  metrics: CollectorMetrics;
  limiter: AuthFailureLimiter;
  /** sha256 of the admin token. */
  adminTokenHash: Buffer;
  now: () => number;
  /** Where routes say a node's stored state changed (the live streams listen). */
  changes: NodeChanges;
}
