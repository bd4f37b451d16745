// News pipeline benchmark: sustained articles/s through ingest → feature → scoring → sentiment-monitor
// → alert, the latency from ingest's acceptance to the scored record on news.scored.v1 (p50/p95/p99),
// and, in the same run on the same broker, the raw throughput of a kafkajs produce→consume
// pass-through (the ceiling the broker and client set).
//
// Two passes through the pipeline, each with its own unique tickers and article ids:
// - saturation: N articles sent as fast as ingest accepts them (batches back to back), the last tenth
//   a negative surge of the first ticker. Figures: ingest's accept rate; the end-to-end rate (articles
//   counted by the monitor per second from the first send until all are counted, and over the middle
//   80 %); the time from the first surge article's acceptance to its alert on sentiment.alerts.v1; the
//   acceptance → scored latency (which, at saturation, is mostly queueing).
// - paced: a smaller stream at a steady rate below the measured throughput (half of it by default),
//   where the acceptance → scored latency is the pipeline's own.
//
// `--own-stack` starts an isolated stack first (startNewsStack from @mercato/dev-stack: the six services
// on free ports, a fresh database, consumer groups at the end of the shared topics, a first model
// trained and promoted, or with `--model default` the shipped default student, or `--model <dir>` any
// sentiment artifact folder); without it the bench uses a running stack (`npx mercato up --detach` with a
// production sentiment model) at --ingest / --monitor, whose monitor should allow several hours of
// lateness (ALLOWED_LATENESS) so the two hours of event time of a pass are all counted.
// Usage: node dist/bench/news-pipeline.js [--articles 20000] [--batch 500] [--paced-articles 3000]
//        [--paced-rate <n>/s] [--own-stack [--model default|<artifact dir>]] [--json]
import { fromBinary } from '@bufbuild/protobuf';
import { ScoredArticleSchema, Topics } from '@mercato/contracts';
import {
  ensureLocalKafka,
  ensureLocalPostgres,
  DEFAULT_SENTIMENT_MODEL_DIR,
  startGroupAtEnd,
  startNewsStack,
  testKafka,
  type NewsStack,
  type PostgresHandle,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import type { Kafka } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    articles: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '500' },
    'paced-articles': { type: 'string', default: '3000' },
    'paced-rate': { type: 'string' },
    ingest: { type: 'string', default: process.env.INGEST_URL ?? 'http://127.0.0.1:8081' },
    monitor: { type: 'string', default: process.env.MONITOR_URL ?? 'http://127.0.0.1:8086' },
    'own-stack': { type: 'boolean', default: false },
    model: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const N = Number(values.articles);
const BATCH = Number(values.batch);
const HOUR = 3_600_000;
const log = (msg: string): void => {
  if (!values.json) process.stderr.write(`${msg}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const letters = (n: number): string =>
  Array.from(randomBytes(n), (b) => String.fromCharCode(65 + (b % 26))).join('');

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** N records of 300 bytes through a fresh 6-partition topic: produce (acks=all) → consume. */
async function passThrough(kafka: Kafka): Promise<{ recordsPerSecond: number; seconds: number }> {
  const topic = `bench.passthrough.${randomBytes(4).toString('hex')}`;
  const admin = kafka.admin();
  await admin.connect();
  // The topic is left in place (topics are never deleted on the shared broker); its data expires.
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: 6,
        replicationFactor: 1,
        configEntries: [{ name: 'retention.ms', value: '600000' }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `${topic}.group`, maxWaitTimeInMs: 100 });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topic, fromBeginning: true });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  let received = 0;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
      if (received >= N) resolveDone();
    },
  });
  // The clock starts once the consumer holds its partitions, so the group join is not measured.
  while (!joined) await sleep(50);
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
  return { recordsPerSecond: N / seconds, seconds };
}

interface PassFigures {
  accepted: number;
  scored: number;
  counted: number;
  late: number;
  sendSeconds: number;
  ingestArticlesPerSecond: number;
  scoredArticlesPerSecond: number;
  /** Accepted articles / (first send → monitor has counted them all). */
  endToEndArticlesPerSecond: number;
  /** The monitor's counting rate between 10 % and 90 % of the stream. */
  sustainedArticlesPerSecond: number;
  surgeToAlertSeconds: number | null;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
}

interface Endpoints {
  ingest: string;
  monitor: string;
}

/**
 * One pass: `count` articles over two hours of event time; `rate` paces the batches (undefined: as
 * fast as ingest answers); a surge of the first ticker in the last tenth when `surge` is set.
 */
async function pipelinePass(
  kafka: Kafka,
  at: Endpoints,
  options: { count: number; batch: number; rate?: number; surge: boolean; label: string },
): Promise<PassFigures> {
  const run = randomBytes(3).toString('hex');
  const tickers = ['B', 'C', 'D', 'E'].map((p) => `${p}${letters(3)}`);
  const tickerSet = new Set(tickers);
  const count = options.count;
  const news = generateNews({
    seed: 9,
    count,
    start: new Date(Date.now() - 2 * HOUR),
    spacingMs: (2 * HOUR) / count,
    tickers,
    surges: options.surge
      ? [
          {
            ticker: tickers[0] as string,
            from: Math.floor(count * 0.9),
            to: count,
            negativeShare: 0.95,
            share: 0.7,
          },
        ]
      : [],
  });
  const surgeEventStart = Date.parse(news[Math.floor(count * 0.9)]?.published_at ?? '');
  const articles = news.map((a, i) => ({
    id: `bench-${run}-${i}`,
    source: a.source,
    published_at: a.published_at,
    headline: a.headline,
    body: `bench ${run} ${i}`,
    tickers: a.tickers,
  }));

  // A tap of its own on news.scored.v1 and sentiment.alerts.v1, committed at their end before sending.
  const groupId = `bench-tap-${run}`;
  await startGroupAtEnd(kafka, groupId, [Topics.newsScored.name, Topics.sentimentAlerts.name]);
  const scored = new Map<string, number>();
  // Arrival per alert id: other monitors on the shared topic may alert on these tickers by their own
  // rules, so only the ids this stack's monitor lists count.
  const alertArrivals = new Map<string, number>();
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({
    topics: [Topics.newsScored.name, Topics.sentimentAlerts.name],
    fromBeginning: true,
  });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const key = m.key?.toString('utf8') ?? '';
        if (!tickerSet.has(key) || !m.value) continue;
        if (batch.topic === Topics.sentimentAlerts.name) {
          const id = m.headers?.['event-id']?.toString() ?? '';
          if (!alertArrivals.has(id)) alertArrivals.set(id, now);
        } else {
          const s = fromBinary(ScoredArticleSchema, m.value);
          if (!scored.has(s.articleId)) scored.set(s.articleId, now);
        }
      }
    },
  });
  while (!joined) await sleep(50);

  // The monitor's counts (counted + late) over the pass's tickers, sampled while the pass runs.
  const countedNow = async (): Promise<{ counted: number; late: number }> => {
    let counted = 0;
    let late = 0;
    for (const t of tickers) {
      const res = await fetch(`${at.monitor}/v1/tickers/${t}/sentiment?window=5m&limit=1`);
      if (!res.ok) continue;
      const body = (await res.json()) as { totals: { counted: number; late: number } };
      counted += body.totals.counted;
      late += body.totals.late;
    }
    return { counted, late };
  };
  const ourAlertAt = async (): Promise<number | undefined> => {
    const res = await fetch(`${at.monitor}/v1/alerts?ticker=${tickers[0]}&limit=100`);
    if (!res.ok) return undefined;
    const { items } = (await res.json()) as {
      items: { alertId: string; direction: string; window: { end: string } }[];
    };
    // The surge's alert: negative, on a window reaching into the surge's event time.
    const surgeItems = items.filter(
      (a) => a.direction === 'negative' && Date.parse(a.window.end) > surgeEventStart,
    );
    const arrivals = surgeItems.flatMap((a) => alertArrivals.get(a.alertId) ?? []);
    return arrivals.length > 0 ? Math.min(...arrivals) : undefined;
  };
  let alertAt: number | undefined;
  const samples: { at: number; n: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const c = await countedNow().catch(() => undefined);
      if (c) samples.push({ at: Date.now(), n: c.counted + c.late });
      await sleep(250);
    }
  })();

  const accepted = new Map<string, number>();
  let surgeAcceptedAt: number | undefined;
  const surgeFrom = Math.floor(count * 0.9);
  const t0 = Date.now();
  for (let i = 0; i < count; i += options.batch) {
    if (options.rate) await sleep(t0 + (i * 1000) / options.rate - Date.now());
    const batch = articles.slice(i, i + options.batch);
    const res = await fetch(`${at.ingest}/v1/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ articles: batch }),
    });
    if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
    const acceptedAt = Date.now();
    const body = (await res.json()) as { results: { id: string; status: string }[] };
    for (const r of body.results) if (r.status === 'accepted') accepted.set(r.id, acceptedAt);
    if (options.surge && surgeAcceptedAt === undefined && i + batch.length > surgeFrom)
      surgeAcceptedAt = acceptedAt;
    if ((i / options.batch) % 10 === 0)
      log(
        `  ${options.label}: sent ${i + batch.length}, scored ${scored.size}, counted ${samples.at(-1)?.n ?? 0}`,
      );
  }
  const sendSeconds = (Date.now() - t0) / 1000;
  const deadline = Date.now() + 900_000;
  while (((samples.at(-1)?.n ?? 0) < accepted.size || scored.size < accepted.size) && Date.now() < deadline)
    await sleep(250);
  if (options.surge) {
    const alertDeadline = Date.now() + 60_000;
    while ((alertAt = await ourAlertAt()) === undefined && Date.now() < alertDeadline) await sleep(250);
  }
  sampling = false;
  await sampler;
  await consumer.disconnect();
  const final = await countedNow();

  const total = accepted.size;
  const doneAt = samples.find((s) => s.n >= total)?.at ?? Date.now();
  const crossing = (share: number): number | undefined => samples.find((s) => s.n >= share * total)?.at;
  const [from, to] = [crossing(0.1), crossing(0.9)];
  const lastScored = Math.max(...scored.values());
  const latencies = [...accepted]
    .filter(([id]) => scored.has(id))
    .map(([id, acceptedAt]) => (scored.get(id) as number) - acceptedAt)
    .sort((a, b) => a - b);
  return {
    accepted: total,
    scored: scored.size,
    counted: final.counted,
    late: final.late,
    sendSeconds,
    ingestArticlesPerSecond: total / sendSeconds,
    scoredArticlesPerSecond: scored.size / ((lastScored - t0) / 1000),
    endToEndArticlesPerSecond: total / ((doneAt - t0) / 1000),
    sustainedArticlesPerSecond: from && to && to > from ? (0.8 * total) / ((to - from) / 1000) : NaN,
    surgeToAlertSeconds:
      alertAt !== undefined && surgeAcceptedAt !== undefined ? (alertAt - surgeAcceptedAt) / 1000 : null,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
    latencyP99Ms: percentile(latencies, 99),
  };
}

async function main(): Promise<void> {
  let stack: NewsStack | undefined;
  let postgres: PostgresHandle | undefined;
  const loadAtStart = loadavg()[0] as number;
  const kafkaHandle = await ensureLocalKafka();
  process.env.KAFKA_BROKERS = kafkaHandle.brokers;
  const kafka = testKafka(`bench-${randomBytes(3).toString('hex')}`);
  try {
    let at: Endpoints = { ingest: values.ingest, monitor: values.monitor };
    if (values['own-stack']) {
      postgres = await ensureLocalPostgres();
      process.env.DATABASE_URL = postgres.url;
      log('starting an isolated stack (six services, fresh database, a first model)…');
      stack = await startNewsStack({
        run: randomBytes(3).toString('hex'),
        log,
        artifactDir: values.model === 'default' ? DEFAULT_SENTIMENT_MODEL_DIR : values.model,
        // The fault run's desk rule: a window is judged once it holds 25 articles, negative surges only.
        monitorEnv: {
          ALLOWED_LATENESS: '3h',
          ALERT_RELAY_POLL_MS: '100',
          ALERT_RULES: JSON.stringify({
            defaults: { minVolume: 25, minShare: 0.6, directions: ['negative'] },
          }),
        },
      });
      at = { ingest: stack.url('ingest'), monitor: stack.url('sentiment-monitor') };
    }
    log(`kafkajs pass-through: ${N} records of 300 bytes, batches of ${BATCH}`);
    const raw = await passThrough(kafka);
    log(`saturation pass: ${N} articles through ingest → feature → scoring → sentiment-monitor`);
    const saturation = await pipelinePass(kafka, at, {
      count: N,
      batch: BATCH,
      surge: true,
      label: 'saturation',
    });
    const pacedRate = Number(
      values['paced-rate'] ?? Math.max(10, Math.round(saturation.endToEndArticlesPerSecond / 2)),
    );
    const pacedCount = Number(values['paced-articles']);
    log(`paced pass: ${pacedCount} articles at ${pacedRate}/s`);
    const paced = await pipelinePass(kafka, at, {
      count: pacedCount,
      batch: Math.max(1, Math.min(100, Math.round(pacedRate / 4))),
      rate: pacedRate,
      surge: false,
      label: 'paced',
    });
    const out = {
      articles: N,
      model: values['own-stack']
        ? (values.model ?? 'a small CNN trained on synthetic news')
        : "the running stack's",
      batch: BATCH,
      // The machine may be shared with other work: its load says how much of it this run had.
      cpus: cpus().length,
      loadAverage1mAtStart: loadAtStart,
      loadAverage1mAtEnd: loadavg()[0] as number,
      kafkajsPassThroughRecordsPerSecond: raw.recordsPerSecond,
      saturation,
      paced: { rate: pacedRate, ...paced },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    else {
      const rows: { figure: string; value: number | string }[] = [
        { figure: 'cpus', value: out.cpus },
        {
          figure: 'load average (1 min) at start / end',
          value: `${loadAtStart.toFixed(1)} / ${out.loadAverage1mAtEnd.toFixed(1)}`,
        },
        { figure: 'kafkajs pass-through records/s', value: Math.round(raw.recordsPerSecond) },
      ];
      for (const [pass, figures] of [
        ['saturation', saturation],
        ['paced', paced],
      ] as const) {
        for (const [k, v] of Object.entries(figures))
          rows.push({
            figure: `${pass}.${k}`,
            value: v === null ? '—' : Number.isInteger(v) ? v : Number(v.toFixed(1)),
          });
      }
      rows.push({ figure: 'paced.rate', value: pacedRate });
      console.table(rows);
    }
  } finally {
    await stack?.stop();
    await postgres?.stop();
    await kafkaHandle.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
