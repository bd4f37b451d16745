// The feature service's news path: news.raw.v1 → enrichment → offline store + news.enriched.v1,
// the HTTP read of stored features, and analysts' sentiment label corrections.
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Module } from '@nestjs/common';
import type { FeatureConfig } from '../feature.config';
import { ArticleFeaturesController } from './article-features.controller';
import { ArticleFeaturesRepository } from './article-features.repository';
import { ArticlePartitionsRepository } from './article-partitions.repository';
import { EnrichedArticlePublisher } from './enriched-article.publisher';
import { FeedbackMonitoringPublisher } from './feedback-monitoring.publisher';
import { NewsEnrichmentService } from './news-enrichment.service';
import { NewsRawHandler } from './news-raw.handler';
import { SentimentFeedbackController } from './sentiment-feedback.controller';
import { SentimentFeedbackRepository } from './sentiment-feedback.repository';
import { SentimentFeedbackService } from './sentiment-feedback.service';
import { defaultTickerDictionary } from './ticker-dictionary';
import { TickerExtractor } from './ticker-extractor';

@Module({
  controllers: [NewsRawHandler, ArticleFeaturesController, SentimentFeedbackController],
  providers: [
    {
      provide: TickerExtractor,
      inject: [SERVICE_CONFIG],
      useFactory: (config: FeatureConfig) =>
        new TickerExtractor(config.TICKER_DICTIONARY ?? defaultTickerDictionary()),
    },
    ArticlePartitionsRepository,
    ArticleFeaturesRepository,
    EnrichedArticlePublisher,
    NewsEnrichmentService,
    SentimentFeedbackRepository,
    FeedbackMonitoringPublisher,
    SentimentFeedbackService,
  ],
})
export class NewsModule {}
