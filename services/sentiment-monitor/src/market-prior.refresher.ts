// Keeps each tenant's market prior current: every MARKET_PRIOR_REFRESH it is recomputed from the
// baselines of the tenant's tickers (baseline.ts computeMarketPrior) for the tenants whose tickers
// changed since. Counting reads the stored prior without locking it, so the tenant's batches never
// queue on one row; a prior a refresh late changes little, and the tickers' own baselines are exact.
import { Inject, Injectable } from '@nestjs/common';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { computeMarketPrior } from './baseline';
import type { MonitorConfig } from './monitor.config';
import { SentimentWindowRepository } from './sentiment-window.repository';

@Injectable()
export class MarketPriorRefresher extends PolledWork {
  constructor(
    private readonly windows: SentimentWindowRepository,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    super({ what: 'market prior refresh', intervalMs: config.MARKET_PRIOR_REFRESH, logger });
  }

  protected async step(): Promise<boolean> {
    for (const tenantId of await this.windows.tenantsDueForPrior(this.config.MARKET_PRIOR_REFRESH)) {
      await this.windows.saveMarketPrior(
        tenantId,
        computeMarketPrior(await this.windows.baselinesOf(tenantId)),
      );
    }
    return false;
  }
}
