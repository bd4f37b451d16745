// Writes ScoredArticle records to news.scored.v1 (key: ticker) through the idempotent producer.
import { Topics, type ScoredArticleSchema } from '@mercato/contracts';
import { EventProducer, type OutgoingRecord } from '@mercato/kafka';
import { Injectable } from '@nestjs/common';

@Injectable()
export class ScoredArticleRepository {
  constructor(private readonly producer: EventProducer) {}

  async publish(records: OutgoingRecord<typeof ScoredArticleSchema>[]): Promise<void> {
    await this.producer.send(Topics.newsScored, records);
  }
}
