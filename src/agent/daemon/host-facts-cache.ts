/** Host facts, gathered in the background at start and then every hostFactsRefreshSec; never on the tick's path. */
import type { Logger } from 'pino';
import type { HostFacts } from '../../protocol/heartbeat.js';
import { errorMessage, withCode } from '../errors.js';
import { gatherHostFacts } from '../sources/host-facts.js';

export class HostFactsCache {
  facts: HostFacts | undefined;
  private timer: NodeJS.Timeout | null = null;
  private pending: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  refresh(): Promise<void> {
    this.pending ??= gatherHostFacts()
      .then((f) => {
        this.facts = f;
      })
      .catch((err: unknown) =>
        this.logger.warn(withCode('HOST_FACTS_FAILED', { err: errorMessage(err) }), 'host facts could not be gathered'),
      )
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  start(everySec: number): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), everySec * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
