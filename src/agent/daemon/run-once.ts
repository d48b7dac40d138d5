/**
 * `traffic-agent once`: one tick (sample, account, persist), one delivery of what is pending, then exit. Exits 5
 * (STATE_WRITE_FAILED) when the state could not be saved: a cron'd `once` must not look fine while it counts nothing.
 */
import { AgentError } from '../errors.js';
import { lockStateDir } from '../state/state-lock.js';
import { openAgentProcess } from './agent-process.js';

export async function runOnce(configFile: string, logLevel?: string): Promise<number> {
  const proc = openAgentProcess(configFile, logLevel);
  // Held until the process ends: one writer per state directory (docs/state-directory.md).
  await lockStateDir(proc.cfg.stateDir, { allowInsecure: proc.cfg.allowInsecureStateDir });
  try {
    await proc.open();
    await proc.hostFacts.refresh();
    await proc.tick();
    await proc.dispatcher.deliver({ force: true, drain: true });
    if (!(await proc.ledger.flush())) {
      throw new AgentError(
        'STATE_WRITE_FAILED',
        `the state could not be saved in ${proc.cfg.stateDir} (the log line above says why); nothing unsaved was ` +
          'sent, and the next run that can save counts these bytes from the last saved state',
      );
    }
    return 0;
  } finally {
    for (const s of proc.dispatcher.activeSinks) await s.close();
  }
}
