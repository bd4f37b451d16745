// Per-test-file isolation on the shared real infrastructure: a fresh database, uniquely named
// topics (copies of catalogue entries), and a kafkajs client.
import type { DescMessage } from '@bufbuild/protobuf';
import type { TopicSpec } from '@mercato/contracts';
import { Kafka, logLevel } from 'kafkajs';
import pino, { type Logger } from 'pino';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export function requireEnv(name: 'KAFKA_BROKERS' | 'DATABASE_URL'): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through vitest (its global setup starts the infrastructure)`,
    );
  return value;
}

export const uniqueSuffix = (): string => `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new empty database on the test server; drop() removes it (and any connection still open). */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const serverUrl = new URL(requireEnv('DATABASE_URL'));
  const name = `${prefix}_${uniqueSuffix()}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function testLogger(level: 'warn' | 'info' | 'silent' = 'warn'): Logger {
  return pino({ level, base: { service: 'mercato-test' } });
}

export function testKafka(clientId = `mercato-test-${uniqueSuffix()}`): Kafka {
  return new Kafka({ clientId, brokers: requireEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.ERROR });
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

/** Polls until check() returns a value other than undefined, or throws after timeoutMs. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ''}`,
  );
}

/**
 * Commits a consumer group's offsets at the current end of the topics, so a service started with
 * that (new) group handles only what the spec sends, not the shared topics' history.
 */
export async function startGroupAtEnd(kafka: Kafka, groupId: string, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId,
        topic,
        partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })),
      });
    }
  } finally {
    await admin.disconnect();
  }
}
