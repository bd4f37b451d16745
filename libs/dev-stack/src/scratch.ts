// Throwaway resources on the local stack, for test files, benches and fault runs alike: a fresh
// database on the server, a kafkajs client on the broker, consumer groups started at the current end
// of the topics (so a run sees only its own records), and polling until something holds.
import { Kafka, logLevel } from 'kafkajs';
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

/** A new empty database on the local server; drop() removes it (and any connection still open). */
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

export function testKafka(clientId = `mercato-test-${uniqueSuffix()}`): Kafka {
  return new Kafka({ clientId, brokers: requireEnv('KAFKA_BROKERS').split(','), logLevel: logLevel.ERROR });
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
