// Publishes enriched articles to news.enriched.v1 through the typed idempotent producer: key =
// article id, event-id header = the stored event id (stable across redeliveries), tenant header.
// The producer splits a large batch into produce requests of bounded size.
import { Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Injectable } from '@nestjs/common';
import type { ArticleFeatures } from './article-features';

@Injectable()
export class EnrichedArticlePublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish(articles: readonly ArticleFeatures[]): Promise<void> {
    await this.producer.send(
      Topics.newsEnriched,
      articles.map((a) => ({
        key: a.articleId,
        eventId: a.eventId,
        tenantId: a.tenantId,
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
