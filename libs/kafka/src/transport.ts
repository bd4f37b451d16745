// A NestJS custom transport on kafkajs. Handlers are plain @EventPattern(topic) methods that receive
// decoded protobuf messages. Guarantees: offsets are committed only after the handler's work is done;
// transient errors are retried with backoff; records that fail validation or exhaust their retries
// go to the topic's dead-letter topic and the partition moves on; trace context flows from headers
// (processingContext);
// close() drains: stop fetching, finish the record in hand, commit, leave the group.
import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DEAD_LETTER_SCHEMA, Headers, topicByName, type TopicSpec } from '@mercato/contracts';
import {
  backgroundContext,
  counter,
  histogram,
  isSampled,
  withinSpan,
  type HealthRegistry,
} from '@mercato/telemetry';
import {
  ROOT_CONTEXT,
  propagation,
  SpanKind,
  trace,
  type Context,
  type Link,
  type SpanContext,
} from '@opentelemetry/api';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { lastValueFrom, isObservable, throwError, type Observable } from 'rxjs';
import { decode, headersToStrings } from './codec';
import { KafkaEventContext, type DecodedRecord, type KafkaRecordInfo } from './context';
import { DrainInterruptedError, NonRetriableError } from './errors';
import type { EventProducer } from './producer';

export interface RetryPolicy {
  /** Total tries per record, the first included. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export interface KafkaTransportOptions {
  groupId: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  partitionsConsumedConcurrently?: number;
  /**
   * How long the broker keeps a silent member's partitions (KAFKA_SESSION_TIMEOUT_MS): the stall a
   * SIGKILLed member causes. Heartbeats go every sixth of it.
   */
  sessionTimeoutMs?: number;
  /** Maps a handler's topic name to its spec; defaults to the catalogue (tests pass copies). */
  resolveTopic?: (name: string) => TopicSpec | undefined;
  /** Called when the consumer crashes beyond kafkajs's own restarts; the default exits the process. */
  onFatal?: (err: Error) => void;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 200, maxBackoffMs: 5_000 };
const DEFAULT_SESSION_TIMEOUT_MS = 6_000;

const consumed = counter('mercato_kafka_consumed_records_total', 'Records processed by outcome', [
  'topic',
  'outcome',
]);
const handlerSeconds = histogram('mercato_kafka_handler_seconds', 'Handler time per record or batch', [
  'topic',
]);
const groupJoinSeconds = histogram(
  'mercato_kafka_group_join_seconds',
  'Time from asking to join the consumer group to holding an assignment (a dead member is waited out here)',
  ['group'],
  [0.1, 0.5, 1, 2, 4, 6, 8, 10, 15, 20, 30, 45, 60],
);
const tracer = trace.getTracer('@mercato/kafka');

/**
 * Where a handler call is traced: the trace its records' producer put in their headers when they
 * share one (a record, or the records of one publish), as a child of it; else a new trace linking
 * each record's, which records nothing when none of them is sampled; without any, a new trace.
 */
export function processingContext(records: readonly KafkaRecordInfo[]): { parent: Context; links: Link[] } {
  const created = new Map<string, SpanContext>();
  for (const r of records) {
    const span = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, r.headers));
    if (span !== undefined && !created.has(span.spanId)) created.set(span.spanId, span);
  }
  const spans = [...created.values()];
  if (new Set(spans.map((s) => s.traceId)).size <= 1)
    return { parent: spans[0] ? trace.setSpanContext(ROOT_CONTEXT, spans[0]) : ROOT_CONTEXT, links: [] };
  const links = spans.map((span) => ({ context: span }));
  return { parent: spans.some(isSampled) ? ROOT_CONTEXT : backgroundContext(), links };
}

/**
 * Nest's default RPC exception filter replaces every error with "Internal server error"; the
 * transport needs the original to tell validation failures from transient ones.
 */
@Catch()
export class KafkaErrorPassthroughFilter implements RpcExceptionFilter {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

interface Pending {
  message: KafkaMessage;
  info: KafkaRecordInfo;
  value?: unknown;
}

export class KafkaTransport extends Server implements CustomTransportStrategy {
  override readonly propagatesEventHandlerErrors = true;
  private consumer: Consumer | undefined;
  private readonly retry: RetryPolicy;
  private readonly resolveTopic: (name: string) => TopicSpec | undefined;
  private stopping = false;
  private started = false;
  private crashed: Error | undefined;
  private readonly wakeSleepers = new Set<() => void>();

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: EventProducer,
    private readonly options: KafkaTransportOptions,
    health?: HealthRegistry,
  ) {
    super();
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.resolveTopic = options.resolveTopic ?? topicByName;
    health?.register('kafka-consumer', () => {
      if (this.crashed) return Promise.reject(new Error(`consumer crashed: ${this.crashed.message}`));
      if (!this.started) return Promise.reject(new Error('consumer not started'));
      return Promise.resolve();
    });
  }

  on(): never {
    throw new Error('KafkaTransport does not support event listeners');
  }

  unwrap<T>(): T {
    if (!this.consumer) throw new Error('not listening');
    return this.consumer as T;
  }

  async listen(callback: (err?: unknown) => void): Promise<void> {
    try {
      await this.start();
      callback();
    } catch (err) {
      callback(err);
    }
  }

  private async start(): Promise<void> {
    const topics = [...this.messageHandlers.keys()];
    for (const topic of topics) {
      if (!this.resolveTopic(topic))
        throw new Error(`@EventPattern("${topic}") names no topic of the catalogue`);
    }
    if (topics.length === 0) {
      this.started = true;
      return;
    }
    await this.producer.connect();
    const sessionTimeout = this.options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout,
      // Handlers heartbeat after every record (batch handlers between batches): a sixth of the
      // session leaves room for a slow predict call or a GC pause before the broker gives up on us.
      heartbeatInterval: Math.max(100, Math.floor(sessionTimeout / 6)),
      maxWaitTimeInMs: 250,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      groupJoinSeconds.observe({ group: this.options.groupId }, payload.duration / 1000);
      this.options.logger.info(
        { groupId: this.options.groupId, memberId: payload.memberId, durationMs: payload.duration },
        'joined the consumer group',
      );
    });
    consumer.on(consumer.events.CRASH, (event) => {
      const { error, restart } = event.payload;
      if (restart) {
        this.options.logger.warn({ err: error.message }, 'consumer error; kafkajs restarts it');
        return;
      }
      this.crashed = error;
      this.options.logger.fatal({ err: error.message }, 'consumer crashed');
      (this.options.onFatal ?? (() => process.exit(1)))(error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    this.consumer = consumer;
    await consumer.run({
      // Resolved offsets are committed every second or every 500 records, and after each batch,
      // which bounds how much a crash makes the group redo.
      autoCommit: true,
      autoCommitInterval: 1_000,
      autoCommitThreshold: 500,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
      eachBatch: (payload) => this.processBatch(payload),
    });
    this.started = true;
    this.options.logger.info({ topics, groupId: this.options.groupId }, 'consuming');
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeSleepers) wake();
    if (this.consumer) {
      // disconnect() stops fetching, waits for the batch in hand, commits and leaves the group.
      await this.consumer.disconnect();
      this.consumer = undefined;
    }
  }

  private async processBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const resolveOffset = (offset: string): void => payload.resolveOffset(offset);
    const spec = this.resolveTopic(batch.topic) as TopicSpec;
    const handler = this.getHandlerByPattern(batch.topic);
    if (!handler) throw new Error(`no handler for ${batch.topic}`);
    const infoOf = (message: KafkaMessage): KafkaRecordInfo => {
      const headers = headersToStrings(message.headers);
      return {
        topic: batch.topic,
        partition: batch.partition,
        offset: message.offset,
        key: message.key ? message.key.toString('utf8') : null,
        headers,
        eventId: headers[Headers.eventId] ?? `${batch.topic}/${batch.partition}/${message.offset}`,
        tenantId: headers[Headers.tenantId],
        timestamp: Number(message.timestamp),
        attempt: 1,
      };
    };
    try {
      if ((handler.extras as { batch?: boolean } | undefined)?.batch) {
        const pending = batch.messages.map((message) => ({ message, info: infoOf(message) }));
        await this.processAsBatch(spec, handler, pending, heartbeat, resolveOffset);
      } else {
        for (const message of batch.messages) {
          if (!payload.isRunning() || payload.isStale() || this.stopping) break;
          await this.processRecord(spec, handler, { message, info: infoOf(message) }, heartbeat);
          resolveOffset(message.offset);
          await heartbeat();
          await payload.commitOffsetsIfNecessary();
        }
      }
    } finally {
      await payload
        .commitOffsetsIfNecessary()
        .catch((err: unknown) =>
          this.options.logger.warn(
            { err: (err as Error).message },
            'offset commit failed; records will be redelivered',
          ),
        );
    }
  }

  /** Decodes everything, hands the valid records to the handler at once, and isolates failures. */
  private async processAsBatch(
    spec: TopicSpec,
    handler: MessageHandler,
    pending: Pending[],
    heartbeat: () => Promise<void>,
    resolveOffset: (offset: string) => void,
  ): Promise<void> {
    const valid: Pending[] = [];
    for (const p of pending) {
      try {
        p.value = decode(spec, p.message.value, p.message.headers);
        valid.push(p);
      } catch (err) {
        await this.deadLetter(spec, p, err, 1, 'validation');
      }
    }
    const lastOffset = pending.at(-1)?.message.offset;
    if (valid.length > 0) {
      try {
        await this.withRetries(spec, valid[0], async (attempt) => {
          const records: DecodedRecord<unknown>[] = valid.map((p) => ({
            value: p.value,
            record: { ...p.info, attempt },
          }));
          await this.invoke(
            spec,
            handler,
            records,
            new KafkaEventContext([{ ...valid[0].info, attempt }, heartbeat]),
            valid.map((p) => p.info),
          );
        });
        consumed.inc({ topic: spec.name, outcome: 'ok' }, valid.length);
      } catch (err) {
        if (err instanceof DrainInterruptedError) throw err;
        this.options.logger.warn(
          { topic: spec.name, size: valid.length, err: (err as Error).message },
          'batch failed; retrying record by record',
        );
        for (const p of valid) {
          await this.processRecord(spec, handler, p, heartbeat, true);
          resolveOffset(p.message.offset);
        }
      }
    }
    if (lastOffset !== undefined) resolveOffset(lastOffset);
  }

  private async processRecord(
    spec: TopicSpec,
    handler: MessageHandler,
    p: Pending,
    heartbeat: () => Promise<void>,
    asBatchOfOne = false,
  ): Promise<void> {
    let value: unknown;
    try {
      value = p.value ?? decode(spec, p.message.value, p.message.headers);
    } catch (err) {
      await this.deadLetter(spec, p, err, 1, 'validation');
      return;
    }
    let attempts = 0;
    try {
      await this.withRetries(spec, p, async (attempt) => {
        attempts = attempt;
        const info = { ...p.info, attempt };
        const data = asBatchOfOne ? [{ value, record: info }] : value;
        await this.invoke(spec, handler, data, new KafkaEventContext([info, heartbeat]), [info]);
      });
      consumed.inc({ topic: spec.name, outcome: 'ok' });
    } catch (err) {
      if (err instanceof DrainInterruptedError) throw err;
      await this.deadLetter(
        spec,
        p,
        err,
        attempts,
        err instanceof NonRetriableError ? 'validation' : 'exhausted',
      );
    }
  }

  private async withRetries(
    spec: TopicSpec,
    p: Pending,
    run: (attempt: number) => Promise<void>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await run(attempt);
        return;
      } catch (err) {
        if (err instanceof NonRetriableError || attempt >= this.retry.maxAttempts) throw err;
        if (this.stopping) throw new DrainInterruptedError();
        consumed.inc({ topic: spec.name, outcome: 'retry' });
        const backoff = Math.min(this.retry.maxBackoffMs, this.retry.initialBackoffMs * 2 ** (attempt - 1));
        const delay = backoff / 2 + Math.random() * (backoff / 2);
        this.options.logger.warn(
          {
            topic: spec.name,
            partition: p.info.partition,
            offset: p.info.offset,
            attempt,
            delayMs: Math.round(delay),
            err: (err as Error).message,
          },
          'handler failed; retrying',
        );
        await this.sleep(delay);
        if (this.stopping) throw new DrainInterruptedError();
      }
    }
  }

  private async invoke(
    spec: TopicSpec,
    handler: MessageHandler,
    data: unknown,
    ctx: KafkaEventContext,
    records: readonly KafkaRecordInfo[],
  ): Promise<void> {
    const info = records[0] as KafkaRecordInfo;
    const { parent, links } = processingContext(records);
    const end = handlerSeconds.startTimer({ topic: spec.name });
    await tracer.startActiveSpan(
      `${spec.name} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.destination.name': spec.name,
          'messaging.kafka.destination.partition': info.partition,
          'messaging.kafka.message.offset': info.offset,
          'messaging.message.id': info.eventId,
          'messaging.consumer.group.name': this.options.groupId,
          ...(records.length > 1 ? { 'messaging.batch.message_count': records.length } : {}),
        },
        links,
      },
      parent,
      (span) =>
        withinSpan(span, async () => {
          const result: unknown = await handler(data, ctx);
          if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
        }).finally(end),
    );
  }

  private async deadLetter(
    spec: TopicSpec,
    p: Pending,
    err: unknown,
    attempts: number,
    reason: 'validation' | 'exhausted',
  ): Promise<void> {
    const error = err instanceof Error ? err : new Error(JSON.stringify(err) ?? 'unknown error');
    const letter = create(DEAD_LETTER_SCHEMA, {
      sourceTopic: spec.name,
      sourcePartition: p.info.partition,
      sourceOffset: p.info.offset,
      originalKey: p.message.key ?? new Uint8Array(),
      originalValue: p.message.value ?? new Uint8Array(),
      originalHeaders: p.info.headers,
      consumerGroup: this.options.groupId,
      errorClass: error.name,
      errorMessage: error.message.slice(0, 4_000),
      attempts,
      failedAt: timestampFromDate(new Date()),
      reason,
    });
    // Throws when the dead-letter write fails: the record then stays uncommitted and is redelivered.
    await this.producer.sendRaw(spec.deadLetter, [
      {
        key: p.message.key,
        value: Buffer.from(toBinary(DEAD_LETTER_SCHEMA, letter)),
        headers: {
          [Headers.eventId]: p.info.eventId,
          [Headers.schema]: DEAD_LETTER_SCHEMA.typeName,
          [Headers.contentType]: 'application/x-protobuf',
        },
      },
    ]);
    consumed.inc({ topic: spec.name, outcome: 'dead_letter' });
    this.options.logger.error(
      {
        topic: spec.name,
        partition: p.info.partition,
        offset: p.info.offset,
        eventId: p.info.eventId,
        reason,
        err: error.message,
      },
      'record sent to the dead-letter topic',
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleepers.add(done);
    });
  }
}
