// Test harness: runs an in-process Nest microservice on KafkaTransport with a handler defined by the
// test, against a uniquely named copy of a catalogue topic on the real broker.
import 'reflect-metadata';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { TopicSpec } from '@mercato/contracts';
import { testLogger } from '@mercato/testing';
import type { Kafka } from 'kafkajs';
import { EventProducer } from '../src/producer';
import { KafkaEventContext } from '../src/context';
import { KafkaErrorPassthroughFilter, KafkaTransport, type RetryPolicy } from '../src/transport';

export type TestHandler = (data: unknown, ctx: KafkaEventContext) => Promise<void>;

export async function startConsumer(
  kafka: Kafka,
  spec: TopicSpec,
  handler: TestHandler,
  options: { batch?: boolean; retry?: Partial<RetryPolicy>; groupId?: string } = {},
): Promise<{ app: INestMicroservice; producer: EventProducer; transport: KafkaTransport }> {
  @Controller()
  class TestController {
    @EventPattern(spec.name, options.batch ? { batch: true } : undefined)
    async handle(@Payload() data: unknown, @Ctx() ctx: KafkaEventContext): Promise<void> {
      await handler(data, ctx);
    }
  }
  @Module({ controllers: [TestController] })
  class TestModule {}

  const producer = new EventProducer(kafka);
  const transport = new KafkaTransport(kafka, producer, {
    groupId: options.groupId ?? `${spec.name}.group`,
    logger: testLogger('silent'),
    resolveTopic: (name) => (name === spec.name ? spec : undefined),
    retry: options.retry ?? { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 50 },
    onFatal: (err) => {
      throw err;
    },
  });
  const app = await NestFactory.createMicroservice(TestModule, { strategy: transport, logger: false });
  app.useGlobalFilters(new KafkaErrorPassthroughFilter());
  await app.listen();
  return { app, producer, transport };
}

/** Reads every record currently on a topic (from the beginning) with a throwaway consumer. */
export async function readAll(kafka: Kafka, topic: string, expected: number, timeoutMs = 20_000) {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  const records: {
    key: string | null;
    value: Buffer | null;
    headers: Record<string, string>;
    offset: string;
  }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {}))
        headers[k] = String(Array.isArray(v) ? v[0] : v);
      records.push({
        key: message.key?.toString() ?? null,
        value: message.value,
        headers,
        offset: message.offset,
      });
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (records.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return records;
}
