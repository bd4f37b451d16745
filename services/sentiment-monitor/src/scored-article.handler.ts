// Kafka entry: news.scored.v1 batches → WindowAggregationService. A record that cannot be counted
// (no ticker, probabilities out of range) fails the batch as non-retriable: the transport then
// redoes the batch record by record and dead-letters only that record. Nothing of the failed batch
// was committed, so the valid records are still counted exactly once.
import { Headers, Topics, type ScoredArticle } from '@mercato/contracts';
import { KafkaEventContext, NonRetriableError, OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { spanContextOf } from '@mercato/telemetry';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import type { MonitorConfig } from './monitor.config';
import { InvalidScoredRecord, toObservation } from './scored-observation';
import type { Observation } from './window-aggregate';
import { WindowAggregationService, type RecordOrigin } from './window-aggregation.service';

@Controller()
export class ScoredArticleHandler {
  constructor(
    private readonly aggregation: WindowAggregationService,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
  ) {}

  @OnTopicBatch(Topics.newsScored)
  async handle(
    @Payload() records: DecodedRecord<ScoredArticle>[],
    @Ctx() ctx: KafkaEventContext,
  ): Promise<void> {
    const observations: Observation[] = [];
    const origins = new Map<string, RecordOrigin>();
    for (const { value, record } of records) {
      try {
        observations.push(toObservation(value, record, this.config.TENANT_ID));
      } catch (err) {
        if (err instanceof InvalidScoredRecord) {
          throw new NonRetriableError(`event ${record.eventId} at offset ${record.offset}: ${err.message}`);
        }
        throw err;
      }
      const traceparent = record.headers[Headers.traceparent];
      origins.set(record.eventId, {
        brokerTime: record.timestamp,
        traceparent: spanContextOf(traceparent) ? traceparent : undefined,
      });
    }
    await this.aggregation.count(observations, origins);
    await ctx.heartbeat();
  }
}
