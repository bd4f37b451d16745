// The news path: a batch of raw articles → validated → enriched → appended to the offline store →
// published on news.enriched.v1. Write first, then publish, then let the transport commit: a crash
// anywhere before the commit redelivers the batch, the store appends nothing twice, and the
// republished records carry the stored event ids, so everything converges to one of each.
// Explicit tickers that are no ticker under the contract (ingest refuses them, so only a producer
// other than ingest can send them) are left out of the enriched article, counted and logged.
import { TICKER_RULE, normalizeTickers, type NewsArticle } from '@mercato/contracts';
import type { DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
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
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Throws NonRetriableError when a record is invalid, before anything is written: the transport
   * then handles the batch record by record, dead-lettering only the bad ones.
   */
  async enrichBatch(records: readonly DecodedRecord<NewsArticle>[]): Promise<void> {
    for (const { value, record } of records) validateArticle(value, record);
    for (const { value, record } of records) this.reportDroppedTickers(value, record.eventId);
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

  private reportDroppedTickers(article: NewsArticle, eventId: string): void {
    const { rejected } = normalizeTickers(article.tickers);
    if (rejected.length === 0) return;
    newsMetrics.droppedTickers.inc({ reason: 'invalid_ticker' }, rejected.length);
    this.logger.warn(
      { articleId: article.articleId, eventId, tickers: rejected, reason: 'invalid_ticker' },
      `explicit tickers left out of the enriched article: each ${TICKER_RULE}`,
    );
  }
}
