// Publishes enriched articles to news.enriched.v1 through the typed idempotent producer: key =
// article id, event-id header = the stored event id (stable across redeliveries), tenant header.
// The producer splits a large batch into produce requests of bounded size. Each record carries the
// `derived-by` header (../derived-by.ts).
import { Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Inject, Injectable } from '@nestjs/common';
import { derivedByHeaders } from '../derived-by';
import type { FeatureConfig } from '../feature.config';
import type { ArticleFeatures } from './article-features';

@Injectable()
export class EnrichedArticlePublisher {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly producer: EventProducer,
    @Inject(SERVICE_CONFIG) config: FeatureConfig,
  ) {
    this.headers = derivedByHeaders(config);
  }

  async publish(articles: readonly ArticleFeatures[]): Promise<void> {
    await this.producer.send(
      Topics.newsEnriched,
      articles.map((a) => ({
        key: a.articleId,
        eventId: a.eventId,
        tenantId: a.tenantId,
        headers: this.headers,
        value: {
          tenantId: a.tenantId,
          articleId: a.articleId,
          source: a.source,
          publishedAt: timestampFromDate(a.publishedAt),
          headline: a.headline,
          normalizedText: a.normalizedText,
          tokens: a.tokens,
          tokenizerVersion: a.tokenizerVersion,
          tickers: a.tickers,
          language: a.language,
          contentHash: a.contentHash,
          receivedAt: timestampFromDate(a.receivedAt),
        },
      })),
    );
  }
}
