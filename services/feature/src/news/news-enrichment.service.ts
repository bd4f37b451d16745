// The news path: a batch of raw articles → validated → enriched → appended to the offline store →
// published on news.enriched.v1. Write first, then publish, then let the transport commit: a crash
// anywhere before the commit redelivers the batch, the store appends nothing twice, and the
// republished records carry the stored event ids, so everything converges to one of each.
import type { NewsArticle } from '@mercato/contracts';
import type { DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Inject, Injectable } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { enrichArticle, validateArticle } from './article-features';
import { ArticleFeaturesRepository } from './article-features.repository';
import { EnrichedArticlePublisher } from './enriched-article.publisher';
import { newsMetrics } from './news-metrics';
import { TickerExtractor } from './ticker-extractor';

@Injectable()
export class NewsEnrichmentService {
  constructor(
    private readonly tickers: TickerExtractor,
    private readonly store: ArticleFeaturesRepository,
    private readonly publisher: EnrichedArticlePublisher,
    @Inject(SERVICE_CONFIG) private readonly config: FeatureConfig,
  ) {}

  /**
   * Throws NonRetriableError when a record is invalid, before anything is written: the transport
   * then handles the batch record by record, dead-lettering only the bad ones.
   */
  async enrichBatch(records: readonly DecodedRecord<NewsArticle>[]): Promise<void> {
    for (const { value, record } of records) validateArticle(value, record);
    const enriched = records.map(({ value, record }) =>
      enrichArticle(value, record, this.tickers, this.config.TENANT_ID),
    );
    const stored = await this.store.append(enriched);
    await this.publisher.publish(stored.map((s) => s.features));

    const now = Date.now();
    for (const { features, appended } of stored) {
      newsMetrics.enriched.inc({ result: appended ? 'stored' : 'redelivered' });
      newsMetrics.tickersPerArticle.observe(features.tickers.length);
    }
    for (const { record } of records) newsMetrics.lag.observe(Math.max(0, now - record.timestamp) / 1000);
  }
}
