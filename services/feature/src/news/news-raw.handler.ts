// Kafka entry: news.raw.v1 → NewsEnrichmentService, a fetched batch of one partition at a time.
import { Topics, type NewsArticle } from '@mercato/contracts';
import { OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { NewsEnrichmentService } from './news-enrichment.service';

@Controller()
export class NewsRawHandler {
  constructor(private readonly enrichment: NewsEnrichmentService) {}

  @OnTopicBatch(Topics.newsRaw)
  async handle(@Payload() records: DecodedRecord<NewsArticle>[]): Promise<void> {
    await this.enrichment.enrichBatch(records);
  }
}
