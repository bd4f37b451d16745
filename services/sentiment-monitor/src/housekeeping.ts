// Periodic clean-up: processed event ids older than PROCESSED_EVENTS_RETENTION are deleted — the
// topic no longer holds those records, so they can never be redelivered.
import { Inject, Injectable } from '@nestjs/common';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import { recordWork, type Logger } from '@mercato/telemetry';
import type { MonitorConfig } from './monitor.config';
import { SentimentWindowRepository } from './sentiment-window.repository';

const EVERY_MS = 60 * 60 * 1000;

@Injectable()
export class Housekeeping extends PolledWork {
  constructor(
    private readonly windows: SentimentWindowRepository,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({ what: 'processed-event purge', intervalMs: EVERY_MS, logger });
  }

  protected async step(): Promise<boolean> {
    const started = Date.now();
    const purged = await this.windows.purgeProcessedEvents(this.config.PROCESSED_EVENTS_RETENTION);
    if (purged > 0) {
      recordWork('processed-event purge', started, { 'mercato.rows': purged });
      this.logger.info({ purged }, 'expired processed event ids deleted');
    }
    return false;
  }
}
