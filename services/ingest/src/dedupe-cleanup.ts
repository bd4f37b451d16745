// Deletes dedupe keys older than the window on a timer (every replica runs it; the deletes are
// idempotent). Expired keys already count as unseen when claimed, so the cleanup only bounds storage.
import { PolledWork, SERVICE_LOGGER } from '@mercato/runtime';
import { recordWork, type Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { DedupeKeyRepository } from './dedupe-key.repository';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { ingestMetrics } from './ingest-metrics';

@Injectable()
export class DedupeCleanup extends PolledWork {
  constructor(
    private readonly keys: DedupeKeyRepository,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({ what: 'dedupe key cleanup', intervalMs: settings.cleanupIntervalMs, logger });
  }

  protected async step(): Promise<boolean> {
    const started = Date.now();
    const deleted = await this.keys.deleteOlderThan(this.settings.dedupeWindowHours);
    if (deleted > 0) {
      recordWork('dedupe key cleanup', started, { 'mercato.rows': deleted });
      ingestMetrics.dedupeKeysDeleted.inc(deleted);
      this.logger.info(
        { deleted, windowHours: this.settings.dedupeWindowHours },
        'expired dedupe keys deleted',
      );
    }
    return false;
  }
}
