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
  /** Bumped by start/stop: a tick still in flight from before a stop neither reports nor reschedules. */
  private generation = 0;

  constructor(private readonly opts: LiveOptions) {}

  start(): void {
    this.stop();
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
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
    const gen = this.generation;
    this.running = true;
    let outcome: { ok: true } | { ok: false; err: unknown };
    try {
      await this.opts.tick();
      outcome = { ok: true };
    } catch (err) {
      outcome = { ok: false, err };
    } finally {
      this.running = false;
    }
    if (gen !== this.generation) return;
    if (outcome.ok) this.opts.onOk(Date.now());
    else this.opts.onError(outcome.err);
    if (!this.stopped && gen === this.generation)
      this.timer = setTimeout(() => void this.run(), this.opts.intervalMs());
  }
}
