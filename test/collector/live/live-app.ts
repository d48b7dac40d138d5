/**
 * The collector app of app-helper.ts (fresh SQLite file, logs in memory, a frozen clock) listening on 127.0.0.1, since
 * streams need a real socket; node changes injected, so a test can signal many at once.
 */
import { LocalNodeChanges } from '../../../src/collector/live/node-changes.js';
import { HEARTBEAT_PATH } from '../../../src/protocol/heartbeat.js';
import { parsePrometheus, sampleValue } from '../../support/prometheus-text.js';
import { ADMIN, heartbeatBody, makeTestApp, type TestApp } from '../app-helper.js';

export { ADMIN };

export interface LiveApp extends TestApp {
  url: string;
  changes: LocalNodeChanges;
  /** A real HTTP heartbeat carrying one record of `rx`/`tx` bytes over 10 s (none when rx is undefined). */
  post(node: { token: string }, rx?: bigint, tx?: bigint): Promise<Response>;
  metric(name: string): Promise<number | undefined>;
}

export async function startLiveApp(config: Record<string, unknown> = {}, port = 0): Promise<LiveApp> {
  const changes = new LocalNodeChanges();
  const t = await makeTestApp({ logLevel: 'debug', heartbeatIntervalSec: 10, ...config }, Date.now(), { changes });
  const url = await t.app.listen({ host: '127.0.0.1', port });
  const seqs = new Map<string, number>();
  return {
    ...t,
    url,
    changes,
    post(node, rx, tx = 0n) {
      const seq = (seqs.get(node.token) ?? 0) + (rx === undefined ? 0 : 1);
      seqs.set(node.token, seq);
      const to = t.clock.now;
      const records = rx === undefined ? [] : [{ seq, from: to - 10_000, to, rx: String(rx), tx: String(tx) }];
      return fetch(`${url}${HEARTBEAT_PATH}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${node.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(heartbeatBody({ epoch: '00000000000000a1', records })),
      });
    },
    async metric(name) {
      return sampleValue(parsePrometheus(await (await fetch(`${url}/metrics`)).text()), name);
    },
  };
}
