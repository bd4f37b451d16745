// Writes accepted records to their raw topic through the idempotent producer (acks from all in-sync
// replicas) and resolves only once the broker has acknowledged every one of them.
import type { DescMessage } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { EventProducer, type OutgoingRecord } from '@mercato/kafka';
import { Injectable } from '@nestjs/common';
import { ingestMetrics } from './ingest-metrics';

@Injectable()
export class RawEventPublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish<S extends DescMessage>(spec: TopicSpec<S>, records: OutgoingRecord<S>[]): Promise<void> {
    if (records.length === 0) return;
    const stop = ingestMetrics.publishSeconds.startTimer({ topic: spec.name });
    try {
      await this.producer.send(spec, records);
      stop();
    } catch (err) {
      ingestMetrics.publishFailures.inc({ topic: spec.name });
      throw err;
    }
  }
}
