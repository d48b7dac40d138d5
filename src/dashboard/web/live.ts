/**
 * The refresh loop: runs `tick` now and then every `intervalMs` (re-read before each wait, so the collector's
 * heartbeat interval can change it), never two at once, and reports each outcome to the status line.
 */
export interface LiveOptions {
  tick: () => Promise<void>;
  intervalMs: () => number;
  onOk: (at: number) => void;
  onError: (err: unknown) => void;
}

export class LiveLoop {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private stopped = true;

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Refresh now (e.g. after the window regains focus), then keep the cadence from here. */
  now(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      await this.opts.tick();
      this.opts.onOk(Date.now());
    } catch (err) {
      this.opts.onError(err);
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.run(), this.opts.intervalMs());
  }
}
