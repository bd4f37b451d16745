// A background loop that runs one step at a time: on a timer, right away when kicked (a kick
// during a run schedules one more run), with exponential backoff after failures, and stopped
// (after the step in hand) before the pools and the producer close; and PolledWork, the Nest
// provider every service's background work (outbox relays, deliveries, purges, refreshes) extends.
// Steps run in a background context (@mercato/telemetry's inBackground): an idle step records no
// span; a step that finds work traces it as a unit of its own (traceWork, recordWork).
import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { inBackground, type Logger } from '@mercato/telemetry';

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

  /** Runs the first step now, or after one interval with `firstAfterInterval`. */
  start(firstAfterInterval = false): void {
    this.stopped = false;
    if (!firstAfterInterval) {
      this.kick();
      return;
    }
    this.timer = setTimeout(() => this.kick(), this.options.intervalMs);
    this.timer.unref();
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
    // A kick comes from anywhere (a request, a record's handler): the run and the timers it sets
    // belong to no one's trace but their own.
    this.running = inBackground(() => this.run().finally(() => this.afterRun()));
  }

  private afterRun(): void {
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

export interface PolledWorkOptions {
  /** What the work is, for the log line of a failed step ("outbox relay", "webhook delivery"). */
  what: string;
  intervalMs: number;
  maxBackoffMs?: number;
  logger: Logger;
  /** Subscribes `wake` to whatever makes work due (e.g. alerts raised); returns the unsubscribe. */
  wakeOn?: (wake: () => void) => () => void;
  /** The first step after one interval instead of at start-up (when start-up does it already). */
  firstAfterInterval?: boolean;
}

/**
 * The one lifecycle of a service's background work: a Nest provider whose `step` runs on a Poller,
 * started once the application is up and stopped (after the step in hand) before the pools and the
 * producer close. A failed step is logged and retried with backoff. Subclass it, give the step.
 */
export abstract class PolledWork implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly poller: Poller;
  private unsubscribe: (() => void) | undefined;

  protected constructor(private readonly work: PolledWorkOptions) {
    this.poller = new Poller({
      intervalMs: work.intervalMs,
      maxBackoffMs: work.maxBackoffMs,
      step: () => this.step(),
      onError: (err) => work.logger.warn({ err: err.message }, `${work.what} failed; retrying`),
    });
  }

  /** One step; resolves true when there may be more to do right away. */
  protected abstract step(): Promise<boolean>;

  onApplicationBootstrap(): void {
    this.unsubscribe = this.work.wakeOn?.(() => this.poller.kick());
    this.poller.start(this.work.firstAfterInterval);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await this.poller.stop();
  }

  /** Runs a step now (or right after the one in progress). */
  kick(): void {
    this.poller.kick();
  }
}
