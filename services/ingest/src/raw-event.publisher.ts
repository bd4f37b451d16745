// Writes accepted records to their raw topic through the idempotent producer (acks from all in-sync
// replicas) and resolves only once the broker has acknowledged every one of them. Large batches go
// out in several produce requests so no partition's record batch exceeds the broker's message limit.
import type { DescMessage } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { EventProducer, type OutgoingRecord } from '@mercato/kafka';
import { Injectable } from '@nestjs/common';
import { ingestMetrics } from './ingest-metrics';

/** Estimated bytes per produce request; well below the broker's default 1 MiB message.max.bytes. */
export const MAX_CHUNK_BYTES = 512 * 1024;

/** Splits records into runs whose estimated size stays within maxBytes (a larger record goes alone). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface PublishRecord<S extends DescMessage> extends OutgoingRecord<S> {
  /** Rough encoded size in bytes (the text it carries). */
  size: number;
}

@Injectable()
export class RawEventPublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish<S extends DescMessage>(
    spec: TopicSpec<S>,
    records: readonly PublishRecord<S>[],
  ): Promise<void> {
    if (records.length === 0) return;
    const stop = ingestMetrics.publishSeconds.startTimer({ topic: spec.name });
    try {
      for (const chunk of chunkBySize(records, (r) => r.size + 256, MAX_CHUNK_BYTES)) {
        await this.producer.send(
          spec,
          chunk.map(({ key, value, eventId, tenantId }) => ({ key, value, eventId, tenantId })),
        );
      }
      stop();
    } catch (err) {
      ingestMetrics.publishFailures.inc({ topic: spec.name });
      throw err;
    }
  }
}
