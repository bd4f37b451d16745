// The outbox relay: publishes committed lifecycle events to Kafka in commit order, marks them sent,
// and retries with backoff while the broker is unreachable. It runs on a timer (the shared Poller) and
// is woken right after each change, and stops (after its current batch) before the producer disconnects.
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { Poller, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { ModelEventPublisher } from './model-event.publisher';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';

const BATCH = 100;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const KEEP_SENT_DAYS = 7;

@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly poller: Poller;
  private lastPurge = 0;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly publisher: ModelEventPublisher,
    @Inject(SERVICE_CONFIG) config: RegistryConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.poller = new Poller({
      intervalMs: config.OUTBOX_POLL_MS,
      step: () => this.relayBatch(),
      onError: (err) => this.logger.warn({ err: err.message }, 'outbox relay failed; retrying'),
    });
  }

  onApplicationBootstrap(): void {
    this.poller.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.poller.stop();
  }

  /** Relays now (or right after the run in progress). */
  kick(): void {
    this.poller.kick();
  }

  /** One batch; true when a full batch went out and more may be waiting. */
  private async relayBatch(): Promise<boolean> {
    const result = await this.outbox.relay(BATCH, (rows) => this.publish(rows));
    registryMetrics.outboxPending.set(await this.outbox.pendingCount());
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      const purged = await this.outbox.purgeSent(KEEP_SENT_DAYS);
      if (purged > 0) this.logger.info({ purged }, 'old sent outbox events deleted');
    }
    if (!result) return false; // another replica is relaying
    // A failed event stays first in line; backing off keeps later events of its model behind it.
    if (result.pending > 0) throw new Error(`${result.pending} lifecycle event(s) not yet published`);
    return result.sent === BATCH;
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
    }
    return { sent };
  }
}
