// Kafka entry: news.enriched.v1 batches → NewsScoringService (batched inference).
import { Topics, type EnrichedArticle } from '@mercato/contracts';
import { KafkaEventContext, OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { NewsScoringService } from './news-scoring.service';

@Controller()
export class EnrichedArticleHandler {
  constructor(private readonly scoring: NewsScoringService) {}

  @OnTopicBatch(Topics.newsEnriched)
  async handle(
    @Payload() records: DecodedRecord<EnrichedArticle>[],
    @Ctx() ctx: KafkaEventContext,
  ): Promise<void> {
    await this.scoring.scoreBatch(records, ctx);
  }
}
