// Kafka entry: models.monitoring.v1 → the latest figures of each tenant's models (ModelSignalsRepository),
// which the dashboard's drift panel shows. Each event's figures replace the same figures of an
// earlier window (the write is idempotent: a redelivery changes nothing). An event naming no model
// is dead-lettered with the cause.
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { Topics, type ModelMonitoring } from '@mercato/contracts';
import { KafkaEventContext, NonRetriableError, OnTopic } from '@mercato/kafka';
import { SERVICE_CONFIG } from '@mercato/runtime';
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { ModelSignalsRepository } from './model-signals.repository';
import type { MonitorConfig } from './monitor.config';

@Controller()
export class ModelMonitoringHandler {
  constructor(
    private readonly signals: ModelSignalsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: MonitorConfig,
  ) {}

  @OnTopic(Topics.modelMonitoring)
  async handle(@Payload() event: ModelMonitoring, @Ctx() ctx: KafkaEventContext): Promise<void> {
    if (!event.modelName)
      throw new NonRetriableError(`event ${ctx.record.eventId}: no model name, so no model to show it for`);
    const tenantId = event.tenantId || ctx.record.tenantId || this.config.TENANT_ID;
    const at = event.windowEnd ? timestampDate(event.windowEnd) : new Date(ctx.record.timestamp);
    await this.signals.record(
      tenantId,
      Object.entries(event.figures)
        .filter(([, value]) => Number.isFinite(value))
        .map(([signal, value]) => ({
          model: event.modelName,
          signal,
          version: event.version,
          value,
          drifted: event.drifted.includes(signal),
          threshold: event.threshold,
          sample: event.sample,
          at,
        })),
    );
  }
}
