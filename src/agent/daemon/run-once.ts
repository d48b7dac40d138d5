/** `traffic-agent once`: one tick (sample, account, persist), one delivery of what is pending, then exit. */
import { lockStateDir } from '../state/state-lock.js';
import { openAgentProcess } from './agent-process.js';

export async function runOnce(configFile: string, logLevel?: string): Promise<number> {
  const proc = openAgentProcess(configFile, logLevel);
  // Held until the process ends: one writer per state directory (docs/state-directory.md).
  await lockStateDir(proc.cfg.stateDir, { allowInsecure: proc.cfg.allowInsecureStateDir });
  try {
    await proc.runtime.open();
    await proc.hostFacts.refresh();
    await proc.runtime.tick(proc.readSample);
    await proc.runtime.deliver({ force: true, drain: true });
    await proc.runtime.flush();
    return 0;
  } finally {
    for (const s of proc.runtime.activeSinks) await s.close();
  }
}
