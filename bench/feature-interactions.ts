// Feature service interactions benchmark, against a running feature service (its consumer group on
// the broker given by KAFKA_BROKERS): writes Interaction records straight to interactions.raw.v1
// for fresh users of this run and reads features.user.v1 back, then prints the sustained
// interactions/s from the first record sent to the last user's features published, and the latency
// of each interaction to the first UserFeatures record of its user that counts it (p50/p95/p99),
// beside the broker's own delivery latency of the same records (send → this process reading them
// from interactions.raw.v1) in the same run, the floor under the service's figure on this machine.
// With --rate the records are paced (normal load); without it they are sent as fast as the
// producer goes (throughput).
// Usage: node dist/bench/feature-interactions.js [--interactions 20000] [--users 2000] [--batch 200]
//        [--rate 0] [--tenant default] [--group mercato-feature] [--json]
// --group is the consumer group of the feature service measured: only records it derived count
// (other feature services on the broker publish for the same users).
import { fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InteractionType, Topics, UserFeaturesSchema } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { startGroupAtEnd } from '@mercato/dev-stack';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    interactions: { type: 'string', default: '20000' },
    users: { type: 'string', default: '2000' },
    batch: { type: 'string', default: '200' },
    rate: { type: 'string', default: '0' },
    tenant: { type: 'string', default: 'default' },
    group: { type: 'string', default: 'mercato-feature' },
    timeout: { type: 'string', default: '300' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.interactions);
const USERS = Number(values.users);
const BATCH = Number(values.batch);
const RATE = Number(values.rate);
const TIMEOUT_MS = Number(values.timeout) * 1000;
const kafka = new Kafka({
  clientId: 'bench-feature',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.ERROR,
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const TYPES = [InteractionType.VIEW, InteractionType.CLICK, InteractionType.CART, InteractionType.PURCHASE];

async function main(): Promise<void> {
  const run = `bench-${randomBytes(4).toString('hex')}`;
  const userId = (u: number): string => `${run}-u${u}`;
  /** Per user: when each of its interactions was sent, in order (the k-th is counted by count >= k). */
  const sentAt = Array.from({ length: USERS }, () => [] as number[]);
  /** Per user: how many of its interactions a features record has counted so far. */
  const counted = new Array<number>(USERS).fill(0);
  const latencies: number[] = [];
  /** Send time of each interaction by index, and the broker delivery latencies seen. */
  const sentByIndex: number[] = [];
  const delivery: number[] = [];
  let lastPublished = 0;

  const group = `${run}.reader`;
  await startGroupAtEnd(kafka, group, [Topics.userFeatures.name, Topics.interactionsRaw.name]);
  const consumer = kafka.consumer({ groupId: group, maxWaitTimeInMs: 20 });
  await consumer.connect();
  await consumer.subscribe({ topics: [Topics.userFeatures.name, Topics.interactionsRaw.name] });
  const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const key = message.key?.toString('utf8') ?? '';
      if (topic === Topics.interactionsRaw.name) {
        const id = message.headers?.['event-id']?.toString() ?? '';
        if (id.startsWith(`${run}-i`))
          delivery.push(Date.now() - (sentByIndex[Number(id.slice(run.length + 2))] ?? NaN));
        return;
      }
      if (!key.startsWith(`${run}-u`) || message.headers?.['derived-by']?.toString() !== values.group) return;
      const now = Date.now();
      const u = Number(key.slice(run.length + 2));
      const count = Number(
        fromBinary(UserFeaturesSchema, message.value ?? new Uint8Array()).interactionCount,
      );
      const times = sentAt[u] ?? [];
      for (let k = counted[u] ?? 0; k < Math.min(count, times.length); k++)
        latencies.push(now - (times[k] as number));
      if (count > (counted[u] ?? 0)) counted[u] = count;
      lastPublished = now;
    },
  });
  await joined;

  const producer = new EventProducer(kafka);
  await producer.connect();
  log(
    `sending ${N} interactions for ${USERS} users in batches of ${BATCH}${RATE > 0 ? ` at ${RATE}/s` : ''}`,
  );
  const t0 = Date.now();
  for (let i = 0; i < N; i += BATCH) {
    if (RATE > 0) {
      const due = t0 + (i / RATE) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const now = Date.now();
    const records = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const u = j % USERS;
      const id = `${run}-i${j}`;
      (sentAt[u] as number[]).push(now);
      sentByIndex[j] = now;
      records.push({
        key: userId(u),
        eventId: id,
        tenantId: values.tenant,
        value: {
          tenantId: values.tenant,
          interactionId: id,
          userId: userId(u),
          itemId: `${run}-item${j % 997}`,
          type: TYPES[j % TYPES.length],
          value: 1,
          occurredAt: timestampFromDate(new Date(now)),
          receivedAt: timestampFromDate(new Date(now)),
        },
      });
    }
    await producer.send(Topics.interactionsRaw, records);
  }
  const sendSeconds = (Date.now() - t0) / 1000;
  log(`sent in ${sendSeconds.toFixed(1)} s; waiting for every user's features`);

  const deadline = Date.now() + TIMEOUT_MS;
  while ((latencies.length < N || delivery.length < N) && Date.now() < deadline) await sleep(50);
  await consumer.disconnect();
  await producer.disconnect();

  const sorted = [...latencies].sort((a, b) => a - b);
  const broker = [...delivery].sort((a, b) => a - b);
  const seconds = (lastPublished - t0) / 1000;
  const result = {
    interactions: N,
    users: USERS,
    batch: BATCH,
    pacedRatePerSecond: RATE > 0 ? RATE : null,
    counted: latencies.length,
    sendSeconds: Number(sendSeconds.toFixed(2)),
    interactionsPerSecond: Math.round(latencies.length / seconds),
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
    },
    brokerDeliveryMs: {
      p50: percentile(broker, 50),
      p95: percentile(broker, 95),
      p99: percentile(broker, 99),
    },
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    process.stdout.write(
      `interactions → features.user.v1: ${result.counted}/${N} counted, ${result.interactionsPerSecond} interactions/s ` +
        `(send ${result.sendSeconds} s)\n` +
        `latency ms: p50 ${result.latencyMs.p50}  p95 ${result.latencyMs.p95}  p99 ${result.latencyMs.p99}  max ${result.latencyMs.max}\n` +
        `broker delivery alone (same records, same run) ms: p50 ${result.brokerDeliveryMs.p50}  p95 ${result.brokerDeliveryMs.p95}  p99 ${result.brokerDeliveryMs.p99}\n`,
    );
  }
  if (latencies.length < N) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
