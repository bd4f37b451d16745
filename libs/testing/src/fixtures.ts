// Per-test-file isolation on the shared real infrastructure: uniquely named topics (copies of
// catalogue entries), a quiet logger, and a follower of what services publish on a topic.
// Databases, Kafka clients and the rest of the local stack are @mercato/dev-stack's.
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { startGroupAtEnd, uniqueSuffix } from '@mercato/dev-stack';
import type { Kafka } from 'kafkajs';
import pino, { type Logger } from 'pino';

export function testLogger(level: 'warn' | 'info' | 'silent' = 'warn'): Logger {
  return pino({ level, base: { service: 'mercato-test' } });
}

/** A uniquely named copy of a catalogue topic (same schema), so specs never share a topic. */
export function testTopic<S extends DescMessage>(
  spec: TopicSpec<S>,
  partitions = spec.partitions,
): TopicSpec<S> {
  const name = `test.${uniqueSuffix()}.${spec.name}`;
  return { ...spec, name, partitions, deadLetter: `${name}.dlq` };
}

export async function createTestTopics(kafka: Kafka, specs: TopicSpec[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: specs.flatMap((s) => [
        { topic: s.name, numPartitions: s.partitions, replicationFactor: 1 },
        { topic: s.deadLetter, numPartitions: 1, replicationFactor: 1 },
      ]),
    });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Follows a topic from its current end in a consumer group of its own and keeps, in order, the
 * decoded values `keep` accepts: what the services under test publish from now on.
 */
export async function followTopic<S extends DescMessage>(
  kafka: Kafka,
  spec: TopicSpec<S>,
  keep: (value: MessageShape<S>) => boolean,
): Promise<{ values: MessageShape<S>[]; stop: () => Promise<void> }> {
  const groupId = `follow-${uniqueSuffix()}`;
  await startGroupAtEnd(kafka, groupId, [spec.name]);
  const values: MessageShape<S>[] = [];
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.name });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const value = fromBinary(spec.schema, message.value ?? new Uint8Array());
      if (keep(value)) values.push(value);
    },
  });
  return { values, stop: () => consumer.disconnect() };
}
