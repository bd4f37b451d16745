// The registry's outbox relay: publishes committed lifecycle events to Kafka in commit order (the
// relay of @mercato/db), marks them sent, and retries with backoff while the broker is unreachable.
// It runs on a timer and is woken right after each change (PolledWork), and stops (after its
// current batch) before the producer disconnects.
import { Inject, Injectable } from '@nestjs/common';
import { Database, relayOutbox, type PublishOutcome } from '@mercato/db';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { recordWork, type Logger } from '@mercato/telemetry';
import { ModelEventPublisher } from './model-event.publisher';
import { OutboxRepository, type OutboxRow } from './outbox.repository';
import type { RegistryConfig } from './registry-config';
import { registryMetrics } from './registry-metrics';

const BATCH = 100;
const PURGE_EVERY_MS = 60 * 60 * 1000;
const KEEP_SENT_DAYS = 7;

@Injectable()
export class OutboxRelay extends PolledWork {
  private lastPurge = 0;

  constructor(
    private readonly db: Database,
    private readonly outbox: OutboxRepository,
    private readonly publisher: ModelEventPublisher,
    @Inject(SERVICE_CONFIG) config: RegistryConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({ what: 'outbox relay', intervalMs: config.OUTBOX_POLL_MS, logger });
  }

  /** One batch; true when a full batch went out and more may be waiting. */
  protected async step(): Promise<boolean> {
    const result = await relayOutbox(this.db, this.outbox.outbox, BATCH, (rows) => this.publish(rows));
    registryMetrics.outboxPending.set(await this.outbox.pendingCount());
    if (Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      const started = Date.now();
      const purged = await this.outbox.purgeSent(KEEP_SENT_DAYS);
      if (purged > 0) {
        recordWork('outbox purge', started, { 'mercato.rows': purged });
        this.logger.info({ purged }, 'old sent outbox events deleted');
      }
    }
    if (!result) return false; // another replica is relaying
    // A failed event stays first in line; backing off keeps later events of its model behind it.
    if (result.unpublished > 0) throw new Error(`${result.unpublished} lifecycle event(s) not yet published`);
    return result.published === BATCH;
  }

  private async publish(rows: OutboxRow[]): Promise<PublishOutcome> {
    let published = 0;
    for (const row of rows) {
      try {
        await this.publisher.publish(row);
        published++;
        registryMetrics.outboxPublished.inc();
      } catch (err) {
        // Stop at the first failure so later events of the same model are not published before it.
        registryMetrics.outboxFailures.inc();
        const error = (err as Error).message;
        this.logger.warn(
          { eventId: row.eventId, attempts: row.attempts + 1, err: error },
          'publishing a lifecycle event failed; it stays in the outbox',
        );
        return { published, error };
      }
    }
    return { published };
  }
}
