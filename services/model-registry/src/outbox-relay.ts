// The outbox relay: publishes committed lifecycle events to Kafka in commit order, marks them sent,
// and retries with backoff while the broker is unreachable. It runs on a timer and is woken right
// after each change, and stops (after its current batch) before the producer disconnects.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { ModelEventPublisher } from './model-event.publisher';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';

const BATCH = 100;
const MAX_BACKOFF_MS = 30_000;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const KEEP_SENT_DAYS = 7;

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;
  private lastPurge = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly publisher: ModelEventPublisher,
    @Inject(SERVICE_CONFIG) private readonly config: RegistryConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Relays now (or right after the run in progress). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.kick();
        return;
      }
      const delay =
        this.failures === 0
          ? this.config.OUTBOX_POLL_MS
          : Math.min(MAX_BACKOFF_MS, this.config.OUTBOX_POLL_MS * 2 ** Math.min(this.failures, 10));
      this.timer = setTimeout(() => this.kick(), delay);
      this.timer.unref();
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        const result = await this.outbox.relay(BATCH, (rows) => this.publish(rows));
        if (!result) break; // another replica is relaying
        if (result.pending > 0) {
          this.failures++;
          break;
        }
        this.failures = 0;
        if (result.sent < BATCH || this.stopped) break;
      }
      registryMetrics.outboxPending.set(await this.outbox.pendingCount());
      if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
        this.lastPurge = Date.now();
        const purged = await this.outbox.purgeSent(KEEP_SENT_DAYS);
        if (purged > 0) this.logger.info({ purged }, 'old sent outbox events deleted');
      }
    } catch (err) {
      this.failures++;
      this.logger.warn({ err: (err as Error).message }, 'outbox relay failed; retrying');
    }
  }

  private async publish(
    rows: OutboxRow[],
  ): Promise<{ sent: string[]; failed?: { id: string; error: string } }> {
    const sent: string[] = [];
    for (const row of rows) {
      try {
        await this.publisher.publish(row);
        sent.push(row.id);
        registryMetrics.outboxPublished.inc();
      } catch (err) {
        // Stop at the first failure so later events of the same model are not published before it.
        registryMetrics.outboxFailures.inc();
        const error = (err as Error).message;
        this.logger.warn(
          { eventId: row.eventId, attempts: row.attempts + 1, err: error },
          'publishing a lifecycle event failed; it stays in the outbox',
        );
        return { sent, failed: { id: row.id, error } };
      }
      if (this.stopped) break;
    }
    return { sent };
  }
}
