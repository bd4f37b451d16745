// The sentiment part of scoring: streaming inference (news.enriched.v1 → news.scored.v1), the
// synchronous HTTP API, and the production model with its hot swap.
import { Module } from '@nestjs/common';
import { EnrichedArticleHandler } from './enriched-article.handler';
import { ModelLifecycleListener } from './model-lifecycle.listener';
import { NewsScoringService } from './news-scoring.service';
import { PredictionDriftService } from './prediction-drift.service';
import { ScoredArticleRepository } from './scored-article.repository';
import { SentimentController } from './sentiment.controller';
import { SentimentInference } from './sentiment-inference';
import { SentimentModelLoader } from './sentiment-model.loader';
import { SentimentModelService } from './sentiment-model.service';
import { TextScoringService } from './text-scoring.service';

@Module({
  controllers: [EnrichedArticleHandler, SentimentController],
  providers: [
    SentimentModelLoader,
    ModelLifecycleListener,
    SentimentModelService,
    SentimentInference,
    ScoredArticleRepository,
    NewsScoringService,
    PredictionDriftService,
    TextScoringService,
  ],
  exports: [SentimentModelService, TextScoringService],
})
export class SentimentModule {}
