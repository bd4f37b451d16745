// The typed, idempotent producer: records are protobuf messages of their topic's type, written with
// acks from all in-sync replicas, each with an event id and the caller's trace context in headers.
// A large call goes out as several produce requests of bounded encoded size, in order: the broker
// refuses a partition's record batch above its message.max.bytes (1 MiB by default).
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { counter } from '@mercato/telemetry';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Kafka, Message, Producer, RecordMetadata } from 'kafkajs';
import { encode, recordHeaders } from './codec';

export interface OutgoingRecord<S extends DescMessage> {
  key: string;
  value: MessageInitShape<S>;
  /** The idempotency key downstream consumers dedupe on; a new UUID when absent. */
  eventId?: string;
  tenantId?: string;
  headers?: Record<string, string>;
}

/** Most encoded bytes per produce request; far below 1 MiB even if every record lands in one partition. */
export const SEND_BUDGET_BYTES = 512 * 1024;

/** Consecutive chunks of at most `budget` bytes (a larger item travels alone). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > budget) {
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

/** Encoded bytes of a message: key, value, headers, plus the record framing. */
function messageBytes(m: Message): number {
  let bytes = 64 + Buffer.byteLength(String(m.key ?? '')) + (m.value ? Buffer.byteLength(m.value) : 0);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    bytes += Buffer.byteLength(name) + (value ? Buffer.byteLength(value as string | Buffer) : 0) + 8;
  }
  return bytes;
}

const produced = counter('mercato_kafka_produced_records_total', 'Records written to Kafka', ['topic']);
const tracer = trace.getTracer('@mercato/kafka');

export class EventProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  async send<S extends DescMessage>(
    spec: TopicSpec<S>,
    records: OutgoingRecord<S>[],
  ): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    await this.connect();
    return tracer.startActiveSpan(
      `${spec.name} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': spec.name,
          'messaging.batch.message_count': records.length,
        },
      },
      async (span) => {
        try {
          const messages: Message[] = records.map((r) => ({
            key: r.key,
            value: encode(spec, r.value),
            headers: recordHeaders(spec, r),
          }));
          const meta: RecordMetadata[] = [];
          for (const chunk of chunkBySize(messages, messageBytes, SEND_BUDGET_BYTES)) {
            meta.push(...(await this.producer.send({ topic: spec.name, acks: -1, messages: chunk })));
            produced.inc({ topic: spec.name }, chunk.length);
          }
          return meta;
        } catch (err) {
          span.recordException(err as Error);
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw err;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Writes already-encoded records (dead letters, replays) as they are. */
  async sendRaw(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    await this.connect();
    const meta = await this.producer.send({ topic, acks: -1, messages });
    produced.inc({ topic }, messages.length);
    return meta;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    await this.producer.disconnect();
    this.connected = undefined;
  }
}
