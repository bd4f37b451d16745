// Creates the catalogue's topics (dead-letter topics included). Idempotent: an existing topic keeps
// its settings, except that a topic with fewer partitions than the catalogue asks for is grown to
// match, and a compacted topic is given the catalogue's compaction settings (COMPACTION_CONFIG) it
// lacks, so a broker that predates them starts compacting its state topics.
import { COMPACTION_CONFIG, topicDefinitions, type TopicDefinition } from '@mercato/contracts';
import { ConfigResourceTypes, ConfigSource, type Admin, type Kafka } from 'kafkajs';

export interface EnsureTopicsResult {
  created: string[];
  grown: string[];
  /** Existing topics whose compaction settings were brought to the catalogue's. */
  reconfigured: string[];
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
        waitForLeaders: false,
        topics: missing.map((d) => ({
          topic: d.name,
          numPartitions: d.partitions,
          replicationFactor: options.replicationFactor ?? -1,
          configEntries: Object.entries(d.config).map(([name, value]) => ({ name, value })),
        })),
      });
      await waitForLeaders(
        admin,
        missing.map((d) => d.name),
      );
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
    const reconfigured = await reconcileCompaction(admin, present);
    return { created: missing.map((d) => d.name), grown, reconfigured, existing: present.map((d) => d.name) };
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until every partition of new topics has a leader. kafkajs' own wait (createTopics'
 * waitForLeaders) retries only LEADER_NOT_AVAILABLE, but a KRaft broker may not know a topic it has
 * just created yet (UNKNOWN_TOPIC_OR_PARTITION), which failed the creation now and then.
 */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics });
      if (meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
    } catch (err) {
      const { type } = err as { type?: string };
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')} have no leaders after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Sets the compaction settings the definitions ask for on existing topics that differ. AlterConfigs
 * replaces a topic's whole set of topic-level settings, so the ones already set (by an operator or
 * Strimzi: min.insync.replicas, …) are written back unchanged with them.
 */
async function reconcileCompaction(admin: Admin, present: TopicDefinition[]): Promise<string[]> {
  const wanted = present
    .map((d) => ({
      name: d.name,
      settings: Object.entries(d.config).filter(([key]) => key in COMPACTION_CONFIG),
    }))
    .filter((t) => t.settings.length > 0);
  if (wanted.length === 0) return [];
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: wanted.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
  });
  const changes = wanted.flatMap((t) => {
    const entries = described.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
    const topicLevel = new Map(
      entries
        .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG)
        .map((e) => [e.configName, e.configValue]),
    );
    const current = new Map(entries.map((e) => [e.configName, e.configValue]));
    if (t.settings.every(([key, value]) => current.get(key) === value)) return [];
    for (const [key, value] of t.settings) topicLevel.set(key, value);
    return [
      {
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configEntries: [...topicLevel].map(([name, value]) => ({ name, value })),
      },
    ];
  });
  if (changes.length > 0) await admin.alterConfigs({ validateOnly: false, resources: changes });
  return changes.map((c) => c.name);
}
