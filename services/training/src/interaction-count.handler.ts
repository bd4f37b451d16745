// Kafka entry: interactions.raw.v1 batches → RetrainService (registered only when a retraining
// trigger is on). The training service reads interactions with its own consumer group, only to
// count them per tenant.
import { Topics, type Interaction } from '@mercato/contracts';
import { KafkaEventContext, OnTopicBatch, type DecodedRecord } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { RetrainService } from './retrain.service';
import type { TrainingConfig } from './training.config';

@Controller()
export class InteractionCountHandler {
  constructor(
    private readonly retrain: RetrainService,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
  ) {}

  @OnTopicBatch(Topics.interactionsRaw)
  async handle(
    @Payload() records: DecodedRecord<Interaction>[],
    @Ctx() ctx: KafkaEventContext,
  ): Promise<void> {
    await this.retrain.record(
      records.map(({ value, record }) => ({
        tenantId: value.tenantId || record.tenantId || this.config.TENANT_ID,
        interactionId: value.interactionId || record.eventId,
      })),
    );
    await ctx.heartbeat();
  }
}
