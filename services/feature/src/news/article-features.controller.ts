// HTTP: the stored enriched features of one article of the service's tenant, for debugging and
// tests. Reads go straight to the repository; there is no logic to hold in a service.
import { RequireScopes } from '@mercato/auth';
import { notFound, SERVICE_CONFIG } from '@mercato/runtime';
import { Controller, Get, Inject, Param } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { ArticleFeaturesRepository, type StoredArticleFeatures } from './article-features.repository';

const view = (f: StoredArticleFeatures) => ({
  tenantId: f.tenantId,
  articleId: f.articleId,
  eventId: f.eventId,
  sourceEventId: f.sourceEventId,
  source: f.source,
  publishedAt: f.publishedAt.toISOString(),
  receivedAt: f.receivedAt.toISOString(),
  headline: f.headline,
  normalizedText: f.normalizedText,
  tokens: f.tokens,
  tokenizerVersion: f.tokenizerVersion,
  tickers: f.tickers,
  language: f.language,
  contentHash: f.contentHash,
  enrichedAt: f.enrichedAt.toISOString(),
});

@Controller('v1/articles')
export class ArticleFeaturesController {
  constructor(
    private readonly store: ArticleFeaturesRepository,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
  ) {}

  @RequireScopes('features:read')
  @Get(':id/features')
  async get(@Param('id') id: string): Promise<ReturnType<typeof view>> {
    const [features] = await this.store.find([{ tenantId: this.config.TENANT_ID, articleId: id }]);
    if (!features) throw notFound(`no enriched article ${id} for tenant ${this.config.TENANT_ID}`);
    return view(features);
  }
}
