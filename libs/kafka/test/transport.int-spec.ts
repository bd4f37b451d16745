// The Kafka transport on the real broker: decoding, headers and trace context, retries, dead
// letters without stalling, batch handlers, commits after work, typed producer.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, Headers, NewsArticleSchema, Topics, type NewsArticle } from '@mercato/contracts';
import { eventually, testKafka } from '@mercato/dev-stack';
import { createTestTopics, testTopic } from '@mercato/testing';
import { context, trace } from '@opentelemetry/api';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { propagation } from '@opentelemetry/api';
import type { INestMicroservice } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DecodedRecord } from '../src/context';
import { NonRetriableError } from '../src/errors';
import { EventProducer } from '../src/producer';
import { readAll, startConsumer } from './harness';

const kafka = testKafka();
const apps: INestMicroservice[] = [];
const producers: EventProducer[] = [];

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new TracerProvider());
});

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(producers.splice(0).map((p) => p.disconnect()));
});

afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});

const article = (id: string, extra: { headline?: string } = {}) => ({
  articleId: id,
  source: 'test',
  headline: `headline ${id}`,
  ...extra,
});

async function setup(partitions = 1) {
  const spec = testTopic(Topics.newsRaw, partitions);
  await createTestTopics(kafka, [spec]);
  const producer = new EventProducer(kafka);
  producers.push(producer);
  return { spec, producer };
}

describe('KafkaTransport on the real broker', () => {
  it('hands decoded messages to @EventPattern handlers with event id and trace context', async () => {
    const { spec, producer } = await setup(3);
    const seen: { id: string; eventId: string; traceId: string | undefined; partition: number }[] = [];
    const { app } = await startConsumer(kafka, spec, async (data, ctx) => {
      seen.push({
        id: (data as NewsArticle).articleId,
        eventId: ctx.record.eventId,
        traceId: trace.getActiveSpan()?.spanContext().traceId,
        partition: ctx.record.partition,
      });
    });
    apps.push(app);
    const tracer = trace.getTracer('test');
    const traceId = await tracer.startActiveSpan('publish-test', async (span) => {
      await producer.send(
        spec,
        Array.from({ length: 30 }, (_, i) => ({
          key: `k${i}`,
          value: article(`a${i}`),
          eventId: `evt-${i}`,
        })),
      );
      span.end();
      return span.spanContext().traceId;
    });
    await eventually(async () => (seen.length >= 30 ? true : undefined), 20_000, '30 records handled');
    expect(new Set(seen.map((s) => s.id)).size).toBe(30);
    expect(seen.find((s) => s.id === 'a7')?.eventId).toBe('evt-7');
    expect(seen.every((s) => s.traceId === traceId)).toBe(true);
    expect(new Set(seen.map((s) => s.partition)).size).toBeGreaterThan(1);
  });

  it("publishes without trace context outside a span, and a record's own creation context when it has one", async () => {
    const { spec, producer } = await setup();
    const seen = new Map<string, { header: string | undefined; traceId: string | undefined }>();
    const { app } = await startConsumer(kafka, spec, async (data, ctx) => {
      seen.set((data as NewsArticle).articleId, {
        header: ctx.record.headers.traceparent,
        traceId: trace.getActiveSpan()?.spanContext().traceId,
      });
    });
    apps.push(app);
    const created = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await producer.send(spec, [{ key: 'k', value: article('untraced') }]);
    await trace.getTracer('test').startActiveSpan('relay', async (span) => {
      await producer.send(spec, [{ key: 'k', value: article('outboxed'), traceparent: created }]);
      span.end();
    });
    await eventually(async () => (seen.size === 2 ? true : undefined), 20_000, 'both records handled');
    // No publish span without a parent: the record starts a trace where it is processed.
    expect(seen.get('untraced')?.header).toBeUndefined();
    expect(seen.get('untraced')?.traceId).toMatch(/^[0-9a-f]{32}$/);
    // An outbox row's record continues the trace it was created in, not the relay's.
    expect(seen.get('outboxed')).toEqual({ header: created, traceId: '4bf92f3577b34da6a3ce929d0e0e4736' });
  });

  it('retries transient errors with backoff and then succeeds, without a dead letter', async () => {
    const { spec, producer } = await setup();
    const attempts = new Map<string, number[]>();
    const done: string[] = [];
    const { app } = await startConsumer(kafka, spec, async (data, ctx) => {
      const id = (data as NewsArticle).articleId;
      attempts.set(id, [...(attempts.get(id) ?? []), ctx.record.attempt]);
      if (id === 'flaky' && ctx.record.attempt < 3) throw new Error('database is restarting');
      done.push(id);
    });
    apps.push(app);
    await producer.send(spec, [
      { key: 'x', value: article('flaky') },
      { key: 'x', value: article('after') },
    ]);
    await eventually(async () => (done.includes('after') ? true : undefined));
    expect(attempts.get('flaky')).toEqual([1, 2, 3]);
    expect(done).toEqual(['flaky', 'after']);
    const dlq = await readAll(kafka, spec.deadLetter, 1, 2_000);
    expect(dlq).toHaveLength(0);
  });

  it('dead-letters undecodable, wrong-schema, invalid and exhausted records and keeps the partition moving', async () => {
    const { spec, producer } = await setup();
    const handled: string[] = [];
    const { app } = await startConsumer(kafka, spec, async (data) => {
      const id = (data as NewsArticle).articleId;
      if (id === 'invalid') throw new NonRetriableError('headline must not be empty');
      if (id === 'poison') throw new Error('always fails');
      handled.push(id);
    });
    apps.push(app);
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x01]);
    await producer.sendRaw(spec.name, [
      { key: 'g', value: garbage, headers: { [Headers.eventId]: 'evt-garbage' } },
    ]);
    await producer.sendRaw(spec.name, [
      {
        key: 'w',
        value: Buffer.from(toBinary(NewsArticleSchema, create(NewsArticleSchema, article('wrong')))),
        headers: { [Headers.schema]: 'mercato.recs.v1.Interaction' },
      },
    ]);
    await producer.send(spec, [
      { key: 'i', value: article('invalid'), eventId: 'evt-invalid' },
      { key: 'p', value: article('poison'), eventId: 'evt-poison' },
      { key: 'ok', value: article('ok') },
    ]);
    await eventually(
      async () => (handled.includes('ok') ? true : undefined),
      20_000,
      'record after the bad ones',
    );
    const letters = (await readAll(kafka, spec.deadLetter, 4)).map((r) => ({
      ...r,
      letter: fromBinary(DeadLetterSchema, r.value as Buffer),
    }));
    expect(letters).toHaveLength(4);
    const byKey = Object.fromEntries(letters.map((l) => [l.key, l.letter]));
    expect(byKey.g?.errorClass).toBe('DecodeError');
    expect(Buffer.from(byKey.g?.originalValue ?? []).equals(garbage)).toBe(true);
    expect(byKey.g?.originalHeaders[Headers.eventId]).toBe('evt-garbage');
    expect(byKey.g?.sourceOffset).toBe('0');
    expect(byKey.g?.sourceTopic).toBe(spec.name);
    expect(byKey.w?.errorMessage).toContain('does not match');
    expect(byKey.i).toMatchObject({
      errorClass: 'NonRetriableError',
      reason: 'validation',
      attempts: 1,
      sourceOffset: '2',
    });
    expect(byKey.p).toMatchObject({
      errorClass: 'Error',
      reason: 'exhausted',
      attempts: 3,
      errorMessage: 'always fails',
    });
    expect(handled).toEqual(['ok']);
  });

  it('gives batch handlers whole batches and isolates a failing record', async () => {
    const { spec, producer } = await setup();
    const batchSizes: number[] = [];
    const handled: string[] = [];
    const { app } = await startConsumer(
      kafka,
      spec,
      async (data) => {
        const records = data as DecodedRecord<NewsArticle>[];
        batchSizes.push(records.length);
        if (records.some((r) => r.value.articleId === 'bad'))
          throw new NonRetriableError('bad record in batch');
        handled.push(...records.map((r) => r.value.articleId));
      },
      { batch: true },
    );
    apps.push(app);
    await producer.send(spec, [
      ...Array.from({ length: 50 }, (_, i) => ({ key: 'b', value: article(`b${i}`) })),
      { key: 'b', value: article('bad') },
      ...Array.from({ length: 10 }, (_, i) => ({ key: 'b', value: article(`c${i}`) })),
    ]);
    await eventually(async () => (handled.length >= 60 ? true : undefined), 20_000, '60 good records');
    expect(Math.max(...batchSizes)).toBeGreaterThan(1);
    expect(new Set(handled).size).toBe(60);
    const letters = await readAll(kafka, spec.deadLetter, 1);
    expect(letters.map((l) => fromBinary(DeadLetterSchema, l.value as Buffer).errorMessage)).toEqual([
      'bad record in batch',
    ]);
  });

  it('commits offsets only after the handler finished, so an unfinished record is redelivered', async () => {
    const { spec, producer } = await setup();
    const groupId = `${spec.name}.commit`;
    let release: () => void = () => undefined;
    const blocked = new Promise<void>((r) => (release = r));
    let started = false;
    const first = await startConsumer(
      kafka,
      spec,
      async () => {
        started = true;
        await blocked;
      },
      { groupId },
    );
    await producer.send(spec, [{ key: 'c', value: article('slow') }]);
    await eventually(async () => (started ? true : undefined));
    const admin = kafka.admin();
    await admin.connect();
    const committedWhileRunning = await admin.fetchOffsets({ groupId, topics: [spec.name] });
    expect(committedWhileRunning[0]?.partitions[0]?.offset).toBe('-1');
    release();
    await first.app.close();
    await first.producer.disconnect();
    const committed = await admin.fetchOffsets({ groupId, topics: [spec.name] });
    expect(committed[0]?.partitions[0]?.offset).toBe('1');
    await admin.disconnect();
  });
});
