// The typed, idempotent producer: records are protobuf messages of their topic's type, written with
// acks from all in-sync replicas, each with an event id and the caller's trace context in headers.
// A large call goes out as several produce requests of bounded encoded size, in order: the broker
// refuses a partition's record batch above its message.max.bytes (1 MiB by default).
//
// Retries are bounded (a send fails after about half a minute, so ingest can answer 503 and a
// consumer can leave its batch for redelivery) and the producer is idempotent, which kafkajs warns
// "may invalidate EoS guarantees": after a send that gave up, kafkajs rolls the partitions' sequence
// numbers back although the broker may have stored the last attempt, and the next send would reuse
// them: the broker would take it for a duplicate of the stored batch and drop it while answering
// success (same record count), or refuse every later send as out of order. So a send that fails
// retires its producer: the next send starts a new one (a new producer id, sequences from zero).
// Delivery stays at-least-once (a resent record may be stored twice; consumers dedupe on event-id),
// never lossy, which is all the platform asks of Kafka: it uses no transactions. kafkajs's warning
// says exactly that trade-off, so the Kafka client logs it at debug level (client.ts).
import type { DescMessage, MessageInitShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { counter, spanContextOf, withinSpan } from '@mercato/telemetry';
import { SpanKind, context, trace } from '@opentelemetry/api';
import {
  Partitioners,
  type Kafka,
  type Message,
  type Producer,
  type RecordMetadata,
  type RetryOptions,
} from 'kafkajs';
import { encode, recordHeaders } from './codec';

export interface OutgoingRecord<S extends DescMessage> {
  key: string;
  value: MessageInitShape<S>;
  /** The idempotency key downstream consumers dedupe on; a new UUID when absent. */
  eventId?: string;
  tenantId?: string;
  headers?: Record<string, string>;
  /**
   * The record's creation context when it was made earlier than it is sent (a W3C traceparent kept
   * with an outbox row): consumers continue that trace, and the publish span links to it.
   */
  traceparent?: string | null;
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
const retired = counter(
  'mercato_kafka_producers_retired_total',
  'Producers replaced after a failed send, so no later send reuses sequence numbers of unknown fate',
  [],
);
const tracer = trace.getTracer('@mercato/kafka');

export interface EventProducerOptions {
  /** kafkajs retry policy of one send (default: 10 retries, 100 ms growing to 5 s). */
  retry?: RetryOptions;
}

export class EventProducer {
  private producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: EventProducerOptions = {},
  ) {
    this.producer = this.create();
  }

  private create(): Producer {
    return this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner, kafkajs's default since 2.0 (named, so kafkajs does not warn).
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: this.options.retry ?? { retries: 10, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect();
    return this.connected;
  }

  /**
   * Sends with the current producer; when that fails (or cannot connect), the next send uses a new
   * one (see the header).
   */
  private async produce(send: (producer: Producer) => Promise<RecordMetadata[]>): Promise<RecordMetadata[]> {
    const producer = this.producer;
    try {
      await this.connect();
      return await send(producer);
    } catch (err) {
      if (this.producer === producer) {
        this.producer = this.create();
        this.connected = undefined;
        retired.inc();
        producer.disconnect().catch(() => undefined);
      }
      throw err;
    }
  }

  async send<S extends DescMessage>(
    spec: TopicSpec<S>,
    records: OutgoingRecord<S>[],
  ): Promise<RecordMetadata[]> {
    if (records.length === 0) return [];
    // A publish span needs a parent (a request, a record, a unit of background work): outside one,
    // the records go out without a span and without trace context, and their consumers start traces.
    if (trace.getSpan(context.active()) === undefined) return this.write(spec, records);
    const links = records.flatMap((r) => {
      const created = spanContextOf(r.traceparent);
      return created ? [{ context: created }] : [];
    });
    return tracer.startActiveSpan(
      `${spec.name} publish`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': spec.name,
          'messaging.batch.message_count': records.length,
        },
        links,
      },
      (span) => withinSpan(span, () => this.write(spec, records)),
    );
  }

  private async write<S extends DescMessage>(
    spec: TopicSpec<S>,
    records: OutgoingRecord<S>[],
  ): Promise<RecordMetadata[]> {
    const messages: Message[] = records.map((r) => ({
      key: r.key,
      value: encode(spec, r.value),
      headers: recordHeaders(spec, r),
    }));
    const meta: RecordMetadata[] = [];
    for (const chunk of chunkBySize(messages, messageBytes, SEND_BUDGET_BYTES)) {
      meta.push(...(await this.produce((p) => p.send({ topic: spec.name, acks: -1, messages: chunk }))));
      produced.inc({ topic: spec.name }, chunk.length);
    }
    return meta;
  }

  /** Writes already-encoded records (dead letters, replays) as they are. */
  async sendRaw(topic: string, messages: Message[]): Promise<RecordMetadata[]> {
    const meta = await this.produce((p) => p.send({ topic, acks: -1, messages }));
    produced.inc({ topic }, messages.length);
    return meta;
  }

  async disconnect(): Promise<void> {
    if (!this.connected) return;
    await this.producer.disconnect();
    this.connected = undefined;
  }
}
