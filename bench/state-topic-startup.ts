// State-topic start-up benchmark: how long a scoring replica's start-up read of features.user.v1
// takes (the read that gates its readiness, done as RecsStreamListener does it: a fresh consumer
// group from the beginning up to the offsets the partitions ended at when it started, each record
// decoded and kept as the latest per key) on a topic that received --updates updates to --keys
// users, before and after the catalogue's compaction settings.
//   before: a copy of features.user.v1 as it was created before COMPACTION_CONFIG (compact only):
//           the broker never rolls the active segment (1 GiB or 7 days), so nothing is compacted.
//   after:  a copy with the catalogue's settings (topicDefinitions()), except segment.ms and
//           min.compaction.lag.ms scaled from 1 h to --segment-ms and 0 so the log cleaner runs
//           within the bench (the dirty ratio and tombstone retention are the catalogue's).
// Both copies get the same records; the bench waits for the cleaner on `after` (its low offsets
// do not move: compaction removes records inside the log, so it polls the read size instead).
// Usage: node dist/bench/state-topic-startup.js [--updates 1000000] [--keys 10000]
//        [--segment-ms 10000] [--batch 5000] [--json]
// Run it on a broker of your own (KAFKA_BROKERS): it creates two topics and deletes them after.
import { create, toBinary, fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InteractionType, Topics, UserFeaturesSchema, topicDefinitions } from '@mercato/contracts';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000000' },
    keys: { type: 'string', default: '10000' },
    'segment-ms': { type: 'string', default: '10000' },
    batch: { type: 'string', default: '5000' },
    timeout: { type: 'string', default: '600' },
    json: { type: 'boolean', default: false },
  },
});
const UPDATES = Number(values.updates);
const KEYS = Number(values.keys);
const SEGMENT_MS = Number(values['segment-ms']);
const BATCH = Number(values.batch);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const kafka = new Kafka({
  clientId: 'bench-state-topic',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.ERROR,
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One update of a user: a few recent items, as the feature service publishes them. */
function update(run: string, user: number, seq: number): Buffer {
  const at = timestampFromDate(new Date(Date.UTC(2026, 0, 1) + seq * 1000));
  return Buffer.from(
    toBinary(
      UserFeaturesSchema,
      create(UserFeaturesSchema, {
        tenantId: 'bench',
        userId: `${run}-u${user}`,
        recentItems: Array.from({ length: 5 }, (_, i) => ({
          itemId: `item-${(seq + i * 7919) % 5000}`,
          type: InteractionType.VIEW,
          at,
        })),
        purchasedItemIds: [`item-${seq % 5000}`],
        interactionCount: BigInt(Math.floor(seq / KEYS) + 1),
        updatedAt: at,
      }),
    ),
  );
}

async function produce(topics: string[], run: string): Promise<number> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const started = Date.now();
  try {
    for (let from = 0; from < UPDATES; from += BATCH) {
      const messages: { key: string; value: Buffer }[] = [];
      for (let seq = from; seq < Math.min(UPDATES, from + BATCH); seq++) {
        const user = seq % KEYS;
        messages.push({ key: `${run}-u${user}`, value: update(run, user, seq) });
      }
      await producer.sendBatch({ acks: -1, topicMessages: topics.map((topic) => ({ topic, messages })) });
      if ((from / BATCH) % 40 === 0) log(`  produced ${from + messages.length} of ${UPDATES} to each topic`);
    }
  } finally {
    await producer.disconnect();
  }
  return (Date.now() - started) / 1000;
}

interface Read {
  seconds: number;
  records: number;
  users: number;
}

/** The start-up read: from the beginning to where every partition ended when it started. */
async function startupRead(topic: string): Promise<Read> {
  const admin = kafka.admin();
  await admin.connect();
  const pending = new Map<number, bigint>();
  try {
    for (const p of await admin.fetchTopicOffsets(topic))
      if (BigInt(p.high) > BigInt(p.low)) pending.set(p.partition, BigInt(p.high));
  } finally {
    await admin.disconnect();
  }
  const latest = new Map<string, unknown>();
  let records = 0;
  const started = Date.now();
  const consumer = kafka.consumer({
    groupId: `bench-state-${randomBytes(4).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  if (pending.size === 0) finish();
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const message of batch.messages) {
        if (message.value) {
          const features = fromBinary(UserFeaturesSchema, message.value);
          latest.set(`${features.tenantId}/${features.userId}`, features);
        }
        records++;
      }
      const end = pending.get(batch.partition);
      if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) {
        pending.delete(batch.partition);
        if (pending.size === 0) finish();
      }
    },
  });
  await done;
  const seconds = (Date.now() - started) / 1000;
  await consumer.disconnect();
  return { seconds, records, users: latest.size };
}

/** Waits until the log cleaner has compacted `after`: a start-up read finds about one record per key. */
async function awaitCompaction(topic: string, run: string): Promise<number> {
  const started = Date.now();
  // A segment rolls on the first append after segment.ms: one more update per partition rolls them.
  await sleep(SEGMENT_MS + 1000);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: KEYS }, (_, user) => ({
      key: `${run}-u${user}`,
      value: update(run, user, UPDATES + user),
    })),
  });
  await producer.disconnect();
  for (;;) {
    const read = await startupRead(topic);
    log(`  after: a read finds ${read.records} records`);
    if (read.records <= 3 * KEYS) return (Date.now() - started) / 1000;
    if (Date.now() - started > TIMEOUT_MS)
      throw new Error(`the log cleaner did not compact ${topic} in time`);
    await sleep(5000);
  }
}

async function createTopics(admin: Admin, before: string, after: string): Promise<void> {
  const catalogue = topicDefinitions().find((d) => d.name === Topics.userFeatures.name);
  if (!catalogue) throw new Error('features.user.v1 is not in the catalogue');
  const afterConfig = { ...catalogue.config, 'segment.ms': String(SEGMENT_MS), 'min.compaction.lag.ms': '0' };
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic: before,
        numPartitions: catalogue.partitions,
        replicationFactor: 1,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'retention.ms', value: '-1' },
        ],
      },
      {
        topic: after,
        numPartitions: catalogue.partitions,
        replicationFactor: 1,
        configEntries: Object.entries(afterConfig).map(([name, value]) => ({ name, value })),
      },
    ],
  });
}

async function main(): Promise<void> {
  const run = `bench-${randomBytes(4).toString('hex')}`;
  const before = `${run}.before.${Topics.userFeatures.name}`;
  const after = `${run}.after.${Topics.userFeatures.name}`;
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopics(admin, before, after);
    log(`producing ${UPDATES} updates to ${KEYS} users into ${before} and ${after}`);
    const produceSeconds = await produce([before, after], run);
    const compactionSeconds = await awaitCompaction(after, run);
    const readBefore = await startupRead(before);
    const readAfter = await startupRead(after);
    const result = {
      updates: UPDATES,
      keys: KEYS,
      produceSeconds,
      compactionSeconds,
      before: readBefore,
      after: readAfter,
      afterSegmentMs: SEGMENT_MS,
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const row = (name: string, r: Read): string =>
      `${name.padEnd(8)} ${r.seconds.toFixed(2).padStart(8)} s  ${String(r.records).padStart(9)} records read  ${String(r.users).padStart(6)} users`;
    process.stdout.write(
      [
        `start-up read of a features.user.v1 copy after ${UPDATES} updates to ${KEYS} users (6 partitions)`,
        row('before', readBefore),
        row('after', readAfter),
        `(after: catalogue compaction settings, segment.ms ${SEGMENT_MS} ms and min.compaction.lag.ms 0 instead of 1 h; compacted ${compactionSeconds.toFixed(0)} s after the last update)`,
        '',
      ].join('\n'),
    );
  } finally {
    await admin.deleteTopics({ topics: [before, after] }).catch(() => undefined);
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
