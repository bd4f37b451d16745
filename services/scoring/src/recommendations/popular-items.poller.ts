// Polls the feature service's GET /v1/items/popular (popular ~7-day and trending ~6-hour decayed
// scores) for every tenant scoring serves, off the hot path, so users without history are answered
// from memory. The call carries the service key (MERCATO_SERVICE_API_KEY) and names the tenant it
// acts for (X-Mercato-Tenant). A failed poll keeps the last lists; until a first one succeeds,
// ranking falls back to the model's item biases.
import { authHeaders, serviceApiKey } from '@mercato/auth';
import { PolledWork, SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import type { ScoringConfig } from '../scoring.config';
import { RecommenderModelsService } from './recommender-models.service';
import { recsMetrics } from './recs-metrics';
import { RecsState, type PopularItem } from './recs-state';

const LIST_LENGTH = 200;

interface PopularResponse {
  items?: { item_id?: unknown; score?: unknown; categories?: unknown }[];
}

@Injectable()
export class PopularItemsPoller extends PolledWork {
  private readonly failing = new Set<string>();

  constructor(
    private readonly state: RecsState,
    private readonly models: RecommenderModelsService,
    @Inject(SERVICE_CONFIG) private readonly config: ScoringConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    super({
      what: 'popular items refresh',
      intervalMs: config.RECS_POPULAR_POLL_MS,
      maxBackoffMs: config.RECS_POPULAR_POLL_MS,
      logger,
    });
  }

  /** Every tenant's lists; a tenant whose fetch fails keeps its last ones (refreshTenant says so). */
  protected async step(): Promise<boolean> {
    await Promise.all(this.models.tenantIds().map((tenantId) => this.refreshTenant(tenantId)));
    return false;
  }

  private async refreshTenant(tenantId: string): Promise<void> {
    try {
      const [popular, trending] = await Promise.all([
        this.fetchList(tenantId, 'popular'),
        this.fetchList(tenantId, 'trending'),
      ]);
      this.state.tenant(tenantId).popular = { popular, trending, asOf: new Date() };
      recsMetrics.popularRefreshes.inc({ outcome: 'ok' });
      if (this.failing.delete(tenantId))
        this.logger.info({ tenant: tenantId }, 'popular items from the feature service again');
    } catch (err) {
      recsMetrics.popularRefreshes.inc({ outcome: 'error' });
      if (!this.failing.has(tenantId))
        this.logger.warn(
          { tenant: tenantId, err: (err as Error).message },
          'could not fetch popular items from the feature service; keeping the last lists',
        );
      this.failing.add(tenantId);
    }
  }

  private async fetchList(tenantId: string, kind: 'popular' | 'trending'): Promise<PopularItem[]> {
    const url = new URL('/v1/items/popular', this.config.FEATURE_URL);
    url.searchParams.set('kind', kind);
    url.searchParams.set('limit', String(LIST_LENGTH));
    const headers = {
      accept: 'application/json',
      ...authHeaders(serviceApiKey(), tenantId),
    };
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`GET ${url.pathname}?kind=${kind}: ${res.status}`);
    const body = (await res.json()) as PopularResponse;
    return (body.items ?? []).flatMap((it) =>
      typeof it.item_id === 'string' && typeof it.score === 'number'
        ? [
            {
              itemId: it.item_id,
              score: it.score,
              categories: Array.isArray(it.categories)
                ? it.categories.filter((c) => typeof c === 'string')
                : [],
            },
          ]
        : [],
    );
  }
}
