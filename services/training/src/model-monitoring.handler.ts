// Kafka entry: models.monitoring.v1 → DriftRetrainService (registered only with RETRAIN_ON_DRIFT or
// RETRAIN_AFTER_FEEDBACK).
import { Topics, type ModelMonitoring } from '@mercato/contracts';
import { KafkaEventContext, OnTopic } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { DriftRetrainService } from './drift-retrain.service';
import type { TrainingConfig } from './training.config';

@Controller()
export class ModelMonitoringHandler {
  constructor(
    private readonly drift: DriftRetrainService,
    @Inject(SERVICE_CONFIG) private readonly config: TrainingConfig,
  ) {}

  @OnTopic(Topics.modelMonitoring)
  async handle(@Payload() event: ModelMonitoring, @Ctx() ctx: KafkaEventContext): Promise<void> {
    await this.drift.onMonitoring(event, ctx.record.tenantId || this.config.TENANT_ID);
  }
}
