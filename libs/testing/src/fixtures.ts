// Per-test-file isolation on the shared real infrastructure: uniquely named topics (copies of
// catalogue entries) and a quiet logger. Databases, Kafka clients and the rest of the local stack
// are @mercato/dev-stack's.
import type { DescMessage } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { uniqueSuffix } from '@mercato/dev-stack';
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
