// News pipeline benchmark on a running stack (`npx mercato up --detach` with a production sentiment
// model): sustained articles/s from ingest's acceptance to scored records on news.scored.v1, and the
// latency from acceptance to scored record (p50/p95/p99), beside the raw throughput of a kafkajs
// produce→consume pass-through on the same broker in the same run.
// Usage: node dist/bench/news-pipeline.js [--articles 20000] [--batch 500] [--json]
import { fromBinary } from '@bufbuild/protobuf';
import { ScoredArticleSchema, Topics } from '@mercato/contracts';
import { generateNews } from '@mercato/testing';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    ingest: { type: 'string', default: process.env.INGEST_URL ?? 'http://127.0.0.1:8081' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.articles);
const BATCH = Number(values.batch);
const kafka = new Kafka({
  clientId: 'bench',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  logLevel: logLevel.ERROR,
});
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function passThrough(): Promise<{ recordsPerSecond: number }> {
  const topic = `bench.passthrough.${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: 6, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `${topic}.group` });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        received += batch.messages.length;
        if (received >= N) resolve();
      },
    });
  });
  const payload = Buffer.alloc(300, 1);
  const t0 = Date.now();
  for (let i = 0; i < N; i += BATCH) {
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => ({
        key: String(i + j),
        value: payload,
      })),
    });
  }
  await done;
  const seconds = (Date.now() - t0) / 1000;
  await Promise.all([producer.disconnect(), consumer.disconnect()]);
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  return { recordsPerSecond: N / seconds };
}

async function pipeline(): Promise<Record<string, number>> {
  const run = randomBytes(3).toString('hex');
  const ticker = `B${run.toUpperCase().slice(0, 4)}`;
  const news = generateNews({
    seed: 9,
    count: N,
    start: new Date(Date.now() - N * 100),
    spacingMs: 100,
    tickers: ['AAPL'],
  });
  const accepted = new Map<string, number>();
  const scored = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `bench-scored-${run}` });
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.newsScored.name, fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  void consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        if (!m.value) continue;
        const s = fromBinary(ScoredArticleSchema, m.value);
        if (s.ticker === ticker && !scored.has(s.articleId)) scored.set(s.articleId, now);
      }
    },
  });
  while (!joined) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1_000));
  const t0 = Date.now();
  for (let i = 0; i < news.length; i += BATCH) {
    const articles = news.slice(i, i + BATCH).map((a) => ({
      id: `bench-${run}-${a.id}`,
      source: a.source,
      published_at: a.published_at,
      headline: a.headline.replace('(AAPL)', `($${ticker})`).replace('($AAPL)', `($${ticker})`),
      body: `bench ${run} ${a.id}`,
      tickers: [ticker],
    }));
    const res = await fetch(`${values.ingest}/v1/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ articles }),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    const at = Date.now();
    const body = (await res.json()) as { results: { id: string; status: string }[] };
    for (const r of body.results) if (r.status === 'accepted') accepted.set(r.id, at);
    if (i % (BATCH * 10) === 0) log(`  sent ${i + articles.length}, scored ${scored.size}`);
  }
  const sendSeconds = (Date.now() - t0) / 1000;
  const deadline = Date.now() + 600_000;
  while (scored.size < accepted.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const last = Math.max(...scored.values());
  await consumer.disconnect();
  const latencies = [...accepted]
    .filter(([id]) => scored.has(id))
    .map(([id, at]) => (scored.get(id) as number) - at)
    .sort((a, b) => a - b);
  return {
    accepted: accepted.size,
    scored: scored.size,
    ingestArticlesPerSecond: accepted.size / sendSeconds,
    endToEndArticlesPerSecond: scored.size / ((last - t0) / 1000),
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    latencyP99Ms: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  log(`kafkajs pass-through: ${N} records of 300 bytes, batches of ${BATCH}`);
  const raw = await passThrough();
  log(`pipeline: ${N} articles through ingest → feature → scoring`);
  const result = await pipeline();
  const out = {
    articles: N,
    batch: BATCH,
    kafkajsPassThroughRecordsPerSecond: raw.recordsPerSecond,
    ...result,
  };
  if (values.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else
    console.table(
      Object.entries(out).map(([figure, value]) => ({
        figure,
        value: Number.isInteger(value) ? value : Number(value.toFixed(1)),
      })),
    );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
