// Two tenants' catalog items with the same item id, through log compaction on the real broker. Ingest
// publishes each tenant's item twice (two versions) to catalog.items.v1; the records it wrote are
// copied, keys, values and headers as they are, to a topic with catalog.items.v1's configuration
// but compaction timings of seconds instead of an hour (min.compaction.lag.ms 0, segments rolled at
// once), once more keyed by the item id alone as before catalogItemKey. After the log cleaner ran,
// reading the topic from the start (what scoring and feature do on restore) finds the newest version
// of both tenants' item under the tenant-and-item keys, and one tenant's item lost under the old keys.
import { fromBinary } from '@bufbuild/protobuf';
import { CatalogItemSchema, Topics, catalogItemKey, topicDefinitions } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import type { Kafka } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TopicTap } from './topic-tap';

const RUN = uniqueSuffix();
const TENANTS = [`cat-a-${RUN}`, `cat-b-${RUN}`];
const ITEM = `sku-${RUN}`;

const kafka: Kafka = testKafka();
let db: TestDatabase;
let ingest: ServiceProcess;
let catalog: TopicTap;
const topic = `catalog-compaction-${RUN}`;

interface StoredRecord {
  key: string;
  tenantId: string;
  itemId: string;
  title: string;
}

/** Every record of the topic from its start, as a consumer restoring its state reads them. */
async function readAll(): Promise<StoredRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const last = BigInt(end?.high ?? '0') - 1n;
  const out: StoredRecord[] = [];
  const consumer = kafka.consumer({
    groupId: `catalog-compaction-read-${uniqueSuffix()}`,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            if (message.value && message.value.length > 0) {
              const item = fromBinary(CatalogItemSchema, message.value);
              out.push({
                key: message.key?.toString('utf8') ?? '',
                tenantId: item.tenantId,
                itemId: item.itemId,
                title: item.title,
              });
            }
            if (BigInt(message.offset) >= last) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

beforeAll(async () => {
  db = await createTestDatabase('ingest_compaction');
  catalog = await TopicTap.open(kafka, Topics.catalogItems.name);
  ingest = await startService('ingest', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    HTTP_PORT: String(await freePort()),
  });
  const config = topicDefinitions().find((d) => d.name === Topics.catalogItems.name)?.config ?? {};
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: 1,
        configEntries: Object.entries({
          ...config,
          'segment.ms': '100',
          'min.compaction.lag.ms': '0',
          'min.cleanable.dirty.ratio': '0.01',
          'max.compaction.lag.ms': '1000',
        }).map(([name, value]) => ({ name, value })),
      },
    ],
  });
  await admin.disconnect();
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await catalog?.close();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
  await db?.drop();
});

describe('catalog.items.v1 keys under log compaction', () => {
  it("keeps both tenants' newest version of the same item id, which item-id keys did not", async () => {
    for (const version of [1, 2])
      for (const tenant of TENANTS) {
        const res = await fetch(`${ingest.url}/v1/catalog/items`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-mercato-tenant': tenant },
          body: JSON.stringify({ items: [{ item_id: ITEM, title: `${tenant} v${version}`, price: 1 }] }),
        });
        expect(res.status).toBe(202);
      }
    await catalog.caughtUp();
    // In the order ingest was asked (the two tenants' keys may sit in different partitions).
    const written = [1, 2].flatMap((version) =>
      TENANTS.flatMap((t) =>
        catalog
          .withKey(catalogItemKey(t, ITEM))
          .filter((r) => fromBinary(CatalogItemSchema, r.value as Buffer).title === `${t} v${version}`),
      ),
    );
    expect(written).toHaveLength(4);

    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    try {
      const copy = (key: (r: (typeof written)[number]) => string) =>
        written.map((r) => ({ key: key(r), value: r.value, headers: r.headers }));
      await producer.send({ topic, messages: copy((r) => r.key?.toString('utf8') ?? '') });
      // The same records keyed as before catalogItemKey: the item id alone.
      await producer.send({ topic, messages: copy(() => ITEM) });
      // The cleaner never touches the active segment: a later record rolls it.
      await new Promise((r) => setTimeout(r, 500));
      await producer.send({ topic, messages: [{ key: 'roll', value: null }] });
    } finally {
      await producer.disconnect();
    }

    // The log cleaner gets to it within seconds (idle, it looks every 15 s: log.cleaner.backoff.ms).
    const kept = await eventually(
      async () => {
        const records = await readAll();
        return records.length === 3 ? records : undefined;
      },
      90_000,
      'the log cleaner compacted the topic',
    );
    const [a, b] = TENANTS as [string, string];
    expect(kept.filter((r) => r.key !== ITEM).sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: catalogItemKey(a, ITEM), tenantId: a, itemId: ITEM, title: `${a} v2` },
      { key: catalogItemKey(b, ITEM), tenantId: b, itemId: ITEM, title: `${b} v2` },
    ]);
    // Under one key per item id only the last writer's item survives: the other tenant's is gone.
    expect(kept.filter((r) => r.key === ITEM)).toEqual([
      { key: ITEM, tenantId: b, itemId: ITEM, title: `${b} v2` },
    ]);
  }, 150_000);
});
