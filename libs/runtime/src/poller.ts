// A background loop that runs one step at a time: on a timer, right away when kicked (a kick
// during a run schedules one more run), with exponential backoff after failures, and stopped
// (after the step in hand) before the pools and the producer close.
export interface PollerOptions {
  intervalMs: number;
  maxBackoffMs?: number;
  /** One step; resolves true when there may be more to do right away. */
  step: () => Promise<boolean>;
  onError: (err: Error) => void;
}

export class Poller {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failures = 0;

  constructor(private readonly options: PollerOptions) {}

  start(): void {
    this.stopped = false;
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
        return;
      }
      const { intervalMs, maxBackoffMs = 30_000 } = this.options;
      const delay =
        this.failures === 0
          ? intervalMs
          : Math.min(maxBackoffMs, intervalMs * 2 ** Math.min(this.failures, 10));
      this.timer = setTimeout(() => this.kick(), delay);
      this.timer.unref();
    });
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped && (await this.options.step())) {
        // more is due: keep going
      }
      this.failures = 0;
    } catch (err) {
      this.failures++;
      this.options.onError(err as Error);
    }
  }
}
