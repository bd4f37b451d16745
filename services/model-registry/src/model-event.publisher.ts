// Publishes outbox rows to models.lifecycle.v1 through the typed producer: key = model name,
// event-id header = the row's event id (stable across relay retries, so consumers dedupe), and the
// trace context of the request that made the change (the record's creation context: consumers
// continue that trace, while the relay's publish span is in the relay's own).
import { Injectable } from '@nestjs/common';
import { fromJson } from '@bufbuild/protobuf';
import { ModelEventSchema, Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import type { OutboxRow } from './outbox.repository';

@Injectable()
export class ModelEventPublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish(row: OutboxRow): Promise<void> {
    const value = fromJson(ModelEventSchema, row.payload);
    await this.producer.send(Topics.modelLifecycle, [
      { key: row.key, value, eventId: row.eventId, tenantId: row.tenantId, traceparent: row.traceparent },
    ]);
  }
}
