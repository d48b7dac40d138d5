/** One look at the machine: interface counters, boot identity, uptime, load, and the proxy core's user counters. */
import { uptime as osUptime } from 'node:os';
import type { Sample } from '../accounting/account-tick.js';
import type { ProxySample } from '../accounting/user-deltas.js';
import type { AgentConfig } from '../config/schema.js';
import { type AgentErrorCode, toAgentError } from '../errors.js';
import { readBootIdentity, readUptime } from '../sources/boot.js';
import { readLoadavg, type LoadAverage } from '../sources/loadavg.js';
import { readNetDev } from '../sources/net-dev.js';
import { errorMessage } from '../../common/error-message.js';

export type ProxyReader = () => Promise<ProxySample>;

export interface SampleOutcome {
  sample: Sample;
  load: LoadAverage | null;
  /** Things worth a log line that did not stop the sample (a bad /proc line, a missing loadavg, an unreachable core). */
  problems: { code: AgentErrorCode; message: string; details?: readonly string[] }[];
}

export async function takeSample(cfg: AgentConfig, now: () => number, proxy?: ProxyReader): Promise<SampleOutcome> {
  const problems: SampleOutcome['problems'] = [];
  // The sample's time is taken before the counters are read: every byte up to `at` is then in them, which is what
  // "sampled at" must promise (taken after the read, a byte counted just after the read would seem included).
  const at = now();
  // net/dev and the boot identity are required: without them no delta can be computed, so their errors propagate.
  const [netDev, boot, up] = await Promise.all([
    readNetDev(cfg.procRoot),
    readBootIdentity(cfg.procRoot),
    readUptime(cfg.procRoot),
  ]);
  if (netDev.problems.length > 0) {
    problems.push({
      code: 'PROC_MALFORMED',
      message: `${cfg.procRoot}/net/dev: ${netDev.problems.length} line(s) skipped`,
      details: netDev.problems,
    });
  }
  let load: LoadAverage | null = null;
  try {
    load = await readLoadavg(cfg.procRoot);
  } catch (err) {
    problems.push({ code: toAgentError(err, 'PROC_UNREADABLE').code, message: errorMessage(err) });
  }
  let proxySample: ProxySample | null | undefined;
  if (proxy) {
    try {
      proxySample = await proxy();
    } catch (err) {
      proxySample = null;
      problems.push({ code: toAgentError(err, 'PROXY_STATS_FAILED').code, message: errorMessage(err) });
    }
  }
  const interfaces = new Map<string, { rxBytes: bigint; txBytes: bigint }>();
  for (const [name, c] of netDev.interfaces) interfaces.set(name, { rxBytes: c.rxBytes, txBytes: c.txBytes });
  return {
    sample: {
      at,
      uptimeSec: up ?? osUptime(),
      boot,
      interfaces,
      ...(proxySample !== undefined ? { proxy: proxySample } : {}),
    },
    load,
    problems,
  };
}
