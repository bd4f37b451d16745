// Deletes dedupe keys older than the window on a timer (every replica runs it; the deletes are
// idempotent). Expired keys already count as unseen when claimed, so the cleanup only bounds storage.
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DedupeKeyRepository } from './dedupe-key.repository';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { ingestMetrics } from './ingest-metrics';

@Injectable()
export class DedupeCleanup implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly keys: DedupeKeyRepository,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.run().finally(() => (this.running = undefined));
    }, this.settings.cleanupIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async run(): Promise<void> {
    try {
      const deleted = await this.keys.deleteOlderThan(this.settings.dedupeWindowHours);
      if (deleted > 0) {
        ingestMetrics.dedupeKeysDeleted.inc(deleted);
        this.logger.info(
          { deleted, windowHours: this.settings.dedupeWindowHours },
          'expired dedupe keys deleted',
        );
      }
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'dedupe key cleanup failed; retrying at the next interval',
      );
    }
  }
}
