/** The per-user source as the sampler sees it: counters by email (the id mapping is the accounting core's job). */
import type { AgentConfig } from '../config/schema.js';
import { parseUserCounters } from '../sources/proxy-stats/parse-user-counters.js';
import type { ProxyReader } from './sampler.js';

/** Keeps every email as it is: per-email counters let one email's reset be told from another's. */
const WHOLE_EMAIL = '^(.+)$';

export function proxyReaderFor(cfg: AgentConfig): ProxyReader | undefined {
  if (!cfg.userTraffic.enabled) return undefined;
  const { address, api, timeoutMs } = cfg.userTraffic;
  return async () => {
    // gRPC and its protos cost ~18 MB of memory: loaded only on nodes that read per-user traffic.
    const { readProxyStats } = await import('../sources/proxy-stats/read-proxy-stats.js');
    const snap = await readProxyStats({ address, api, timeoutMs });
    return { uptimeSec: snap.uptimeSec, users: parseUserCounters(snap.counters, WHOLE_EMAIL).users };
  };
}
