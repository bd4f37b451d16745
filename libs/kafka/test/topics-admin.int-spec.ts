// ensureTopics on the real broker: a compacted topic created before the catalogue had compaction
// settings is given them (its other topic-level settings kept), once; a delete-policy topic is left
// alone. Uniquely named copies of the catalogue's definitions, so the shared topics are untouched.
import { COMPACTION_CONFIG, Topics, topicDefinitions, type TopicDefinition } from '@mercato/contracts';
import { eventually, testKafka, uniqueSuffix } from '@mercato/dev-stack';
import { ConfigResourceTypes, ConfigSource } from 'kafkajs';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../src/topics-admin';

const kafka = testKafka();
const RUN = uniqueSuffix();
const renamed = (name: string): string => `test.${RUN}.${name}`;
const definitions: TopicDefinition[] = topicDefinitions()
  .filter((d) => d.name === Topics.userFeatures.name || d.name === Topics.newsRaw.name)
  .map((d) => ({ ...d, name: renamed(d.name) }));
const STATE = renamed(Topics.userFeatures.name);
const NEWS = renamed(Topics.newsRaw.name);

/** The topic-level settings of a topic (those set on it, not inherited from the broker). */
async function topicSettings(name: string): Promise<Record<string, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name }],
    });
    return Object.fromEntries(
      (resources[0]?.configEntries ?? [])
        .filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG)
        .map((e) => [e.configName, e.configValue]),
    );
  } finally {
    await admin.disconnect();
  }
}

/** The broker applies a config change through its metadata log: wait until describeConfigs shows it. */
const settlesTo = (name: string, expected: Record<string, string>): Promise<boolean> =>
  eventually(
    async () => (isDeepStrictEqual(await topicSettings(name), expected) ? true : undefined),
    15_000,
    `${name} to show ${JSON.stringify(expected)}`,
  );

afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: definitions.map((d) => d.name) }).finally(() => admin.disconnect());
});

describe('ensureTopics', () => {
  it('creates missing topics with the settings they are given', async () => {
    // The state topic as an older catalogue made it: compacted, no compaction settings, one other setting.
    const old = definitions.map((d) =>
      d.name === STATE
        ? { ...d, config: { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' } }
        : d,
    );
    const first = await ensureTopics(kafka, { replicationFactor: 1, definitions: old });
    expect(first.created.sort()).toEqual([NEWS, STATE].sort());
    expect(await settlesTo(STATE, { 'cleanup.policy': 'compact', 'max.message.bytes': '2000000' })).toBe(
      true,
    );
  });

  it('gives an existing compacted topic the settings it lacks, keeping its others, once', async () => {
    const second = await ensureTopics(kafka, { replicationFactor: 1, definitions });
    expect(second).toMatchObject({ created: [], grown: [], reconfigured: [STATE] });
    expect(
      await settlesTo(STATE, {
        'cleanup.policy': 'compact',
        'max.message.bytes': '2000000',
        ...COMPACTION_CONFIG,
      }),
    ).toBe(true);
    expect(await topicSettings(NEWS)).not.toHaveProperty('segment.ms');
    const third = await ensureTopics(kafka, { replicationFactor: 1, definitions });
    expect(third.reconfigured).toEqual([]);
  });
});
