// Keeps each tenant's market prior current: every MARKET_PRIOR_REFRESH it is recomputed from the
// baselines of the tenant's tickers (baseline.ts computeMarketPrior, each read through the confusion
// of the version it was learned under) for the tenants whose tickers changed since. Counting reads
// the stored prior without locking it, so the tenant's batches never queue on one row; a prior a
// refresh late changes little, and the tickers' own baselines are exact.
import { Inject, Injectable } from '@nestjs/common';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { computeMarketPrior } from './baseline';
import { ModelConfusionService } from './model-confusion.service';
import type { MonitorConfig } from './monitor.config';
import { SentimentWindowRepository } from './sentiment-window.repository';

@Injectable()
export class MarketPriorRefresher extends PolledWork {
  constructor(
    private readonly windows: SentimentWindowRepository,
    private readonly confusion: ModelConfusionService,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({ what: 'market prior refresh', intervalMs: config.MARKET_PRIOR_REFRESH, logger });
  }

  protected async step(): Promise<boolean> {
    for (const tenantId of await this.windows.tenantsDueForPrior(this.config.MARKET_PRIOR_REFRESH)) {
      const baselines = await this.windows.baselinesOf(tenantId);
      await this.confusion.prepare(baselines.map((b) => ({ modelVersion: b.version, tenantId })));
      const prior = computeMarketPrior(baselines, (version) => this.confusion.get(version, tenantId).matrix);
      await this.windows.saveMarketPrior(tenantId, prior);
    }
    return false;
  }
}
