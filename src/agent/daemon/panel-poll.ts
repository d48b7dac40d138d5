/** The panel user poll as the daemon runs it: on while panel.url is set, rebuilt on every reload. */
import type { Logger } from 'pino';
import type { AgentConfig } from '../config/schema.js';
import { PanelUserPoll } from '../sinks/panel-user-poll.js';

export class DaemonPanelPoll {
  current: PanelUserPoll | null = null;

  constructor(private readonly logger: Logger) {}

  /** Stops the running poll, if any, and starts one for cfg when it names a panel. */
  async apply(cfg: AgentConfig): Promise<void> {
    await this.stop();
    const { panel } = cfg;
    if (panel.url === null || panel.nodeId === null) return;
    this.current = new PanelUserPoll({
      url: panel.url,
      token: panel.token,
      nodeId: panel.nodeId,
      nodeType: panel.nodeType,
      everySec: panel.userPollSec,
      timeoutMs: panel.timeoutMs,
      logger: this.logger,
    });
    this.current.start();
  }

  async stop(): Promise<void> {
    const poll = this.current;
    this.current = null;
    await poll?.stop();
  }
}
