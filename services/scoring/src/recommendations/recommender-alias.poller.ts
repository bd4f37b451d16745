// Re-reads every tenant's recommender aliases from the registry on a timer (MODEL_POLL_INTERVAL_MS):
// lifecycle events on models.lifecycle.v1 move the aliases at once; this catches one that was missed.
// Start-up syncs itself (RecommenderModelsService), so the first poll comes one interval later.
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { RecommenderModelsService } from './recommender-models.service';

@Injectable()
export class RecommenderAliasPoller extends PolledWork {
  constructor(
    private readonly models: RecommenderModelsService,
    @Inject(SERVICE_CONFIG) config: ScoringConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({
      what: 'recommender alias poll',
      intervalMs: config.MODEL_POLL_INTERVAL_MS,
      maxBackoffMs: config.MODEL_POLL_INTERVAL_MS,
      logger,
      firstAfterInterval: true,
    });
  }

  protected async step(): Promise<boolean> {
    await this.models.syncAll('poll');
    return false;
  }
}
