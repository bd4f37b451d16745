// Creates the catalogue's topics (dead-letter topics included). Idempotent: existing topics are left
// alone, but a topic with fewer partitions than the catalogue asks for is grown to match.
import { topicDefinitions, type TopicDefinition } from '@mercato/contracts';
import type { Kafka } from 'kafkajs';

export interface EnsureTopicsResult {
  created: string[];
  grown: string[];
  existing: string[];
}

export async function ensureTopics(
  kafka: Kafka,
  options: { replicationFactor?: number; definitions?: TopicDefinition[] } = {},
): Promise<EnsureTopicsResult> {
  const definitions = options.definitions ?? topicDefinitions();
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = definitions.filter((d) => !existing.has(d.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: Object.entries(d.config).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const present = definitions.filter((d) => existing.has(d.name));
    const grown: string[] = [];
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((d) => d.name) });
      const toGrow = meta.topics
        .map((t) => ({
          topic: t.name,
          have: t.partitions.length,
          want: present.find((d) => d.name === t.name)?.partitions ?? 0,
        }))
        .filter((t) => t.want > t.have);
      if (toGrow.length > 0) {
        await admin.createPartitions({
          topicPartitions: toGrow.map((t) => ({ topic: t.topic, count: t.want })),
        });
        grown.push(...toGrow.map((t) => t.topic));
      }
    }
    return { created: missing.map((d) => d.name), grown, existing: present.map((d) => d.name) };
  } finally {
    await admin.disconnect();
  }
}
