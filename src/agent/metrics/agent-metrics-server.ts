/** Placeholder until the metrics endpoint lands: `metrics.listen` off by default, so nothing to start. */
import type { AgentProcess } from '../daemon/agent-process.js';

export async function startAgentMetrics(proc: AgentProcess): Promise<void> {
  if (proc.cfg.metrics.listen) proc.logger.warn({ listen: proc.cfg.metrics.listen }, 'metrics endpoint not available in this build');
}
