// The scoring service's sentiment part end to end, as real processes on the real broker and database:
// the model registry and scoring, with sentiment models trained here and registered over HTTP.
// Without a production model scoring is ready, answers 503 and holds the news in Kafka (also across a
// restart); the first promotion of the platform's model scores what waited; the HTTP API validates
// and scores; a promotion while 2,000 records flow swaps versions between batches with every
// (article, ticker) scored exactly once; tampered or broken versions are refused and the serving
// version stays; a tenant's own model scores only that tenant's news; the teacher (a fine-tuned
// transformer) answers POST /v1/sentiment on request; a transformer whose tokenizer does not match
// its weights is refused.
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  EnrichedArticleSchema,
  ModelMonitoringSchema,
  ScoredArticleSchema,
  SentimentLabel,
  SentimentService,
  Topics,
  type ModelMonitoring,
  type ScoredArticle,
} from '@mercato/contracts';
import { RegistryClient } from '@mercato/registry-client';
import {
  SENTIMENT_LABELS,
  WordPieceTokenizer,
  runSentimentJob,
  writeTinyEncoder,
  type JobResult,
  type LabeledText,
} from '@mercato/ml';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import { metricValue } from '@mercato/testing';
import type { Consumer, Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scoredEventId } from '../src/sentiment/scored-article.mapper';

const suffix = uniqueSuffix();
const MODEL = `sentiment-it-${suffix}`;
const TEACHER = `${MODEL}-teacher`;
const PLATFORM = 'platform';
/** A tenant that gets a sentiment model of its own. */
const OWN_TENANT = `own-${suffix}`;
const SCORING_GROUP = `mercato-scoring-it-${suffix}`;
const PREFIX = `Q${suffix.toUpperCase()}`;
const ticker = (name: string): string => `${PREFIX}-${name}`;

const kafka = testKafka();
let db: TestDatabase;
let registry: ServiceProcess;
let scoring: ServiceProcess;
/** Acts for the platform tenant (AUTH_MODE=off honours the tenant header, as a platform key does). */
let registryClient: RegistryClient;
let producer: Producer;
let scoredConsumer: Consumer;
let scoringEnv: Record<string, string>;
let grpcPort: string;

interface Seen {
  eventId: string;
  key: string;
  value: ScoredArticle;
}
const seen: Seen[] = [];
const seenFor = (predicate: (s: Seen) => boolean): Seen[] => seen.filter(predicate);

const toLabeled = (seed: number, count: number): LabeledText[] =>
  generateNews({ seed, count, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 60_000 }).map((a) => ({
    text: a.headline,
    label: SENTIMENT_LABELS.indexOf(a.sentiment),
  }));

const train = (seed: number): Promise<JobResult> =>
  runSentimentJob({
    architecture: 'cnn',
    kind: 'sentiment',
    trainPath: '',
    inline: { train: toLabeled(seed, 1500), test: toLabeled(seed + 100, 300) },
    hyperparameters: {
      epochs: 4,
      embeddingDim: 32,
      filters: 32,
      hidden: 16,
      maxLength: 24,
      minCount: 1,
      seed,
    },
  });

async function registerAndPromote(
  result: JobResult,
  key: string,
  client = registryClient,
  name = MODEL,
): Promise<number> {
  const registered = await client.register(name, {
    metrics: result.metrics,
    lineage: result.lineage,
    idempotencyKey: key,
    files: result.artifact.files,
  });
  await promote(registered.version, client, name);
  return registered.version;
}

async function promote(version: number, client = registryClient, name = MODEL): Promise<void> {
  const promotion = await client.promote(name, {
    version,
    alias: 'production',
    reason: 'test',
  });
  expect(promotion.outcome).toBe('promoted');
}

const freePort = async (): Promise<string> => String(await freeTcpPort());

/** Starts scoring and waits until its per-process lifecycle listener has joined its group. */
async function startScoring(): Promise<ServiceProcess> {
  grpcPort = await freePort();
  const svc = await startService(
    'scoring',
    { ...scoringEnv, HTTP_PORT: await freePort(), GRPC_PORT: grpcPort },
    90_000,
  );
  await eventually(
    async () => (svc.output().includes('listening for model lifecycle events') ? true : undefined),
    30_000,
    'the lifecycle listener to join',
  );
  return svc;
}

interface Article {
  tenantId?: string;
  eventId: string;
  articleId: string;
  headline: string;
  tickers: string[];
  partition?: number;
}

let articleSeq = 0;
function article(headline: string, tickers: string[], partition?: number, tenantId?: string): Article {
  return {
    eventId: randomUUID(),
    articleId: `${suffix}-${articleSeq++}`,
    headline,
    tickers,
    partition,
    tenantId,
  };
}

const PUBLISHED = new Date('2026-03-02T09:30:00Z');
const RECEIVED = new Date('2026-03-02T09:30:01Z');

async function produce(articles: Article[]): Promise<void> {
  await producer.send({
    topic: Topics.newsEnriched.name,
    messages: articles.map((a) => ({
      key: a.articleId,
      partition: a.partition,
      value: Buffer.from(
        toBinary(
          EnrichedArticleSchema,
          create(EnrichedArticleSchema, {
            tenantId: a.tenantId ?? 'tenant-it',
            articleId: a.articleId,
            source: 'newswire',
            headline: a.headline,
            normalizedText: a.headline.toLowerCase(),
            tickers: a.tickers,
            language: 'en',
            publishedAt: timestampFromDate(PUBLISHED),
            receivedAt: timestampFromDate(RECEIVED),
          }),
        ),
      ),
      headers: { 'event-id': a.eventId, schema: EnrichedArticleSchema.typeName },
    })),
  });
}

/** The platform's track of a model in GET /v1/models/current, with the backend. */
async function current(name = MODEL, tenant?: string): Promise<any> {
  const headers = tenant ? { 'x-mercato-tenant': tenant } : undefined;
  const body: any = await (await fetch(`${scoring.url}/v1/models/current`, { headers })).json();
  const track = body.sentiment.models.find((m: any) => m.owner === (tenant ?? PLATFORM) && m.name === name);
  return { sentiment: { backend: body.sentiment.backend, ...track } };
}

const metric = (name: string, labels: Record<string, string> = {}): Promise<number> =>
  metricValue(scoring.url, name, labels);

const postSentiment = async (body: unknown, tenant?: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${scoring.url}/v1/sentiment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(tenant ? { 'x-mercato-tenant': tenant } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

/**
 * Commits the end of the topic for the group, so it reads only what is produced from now on (other
 * specs share the catalogue topics). admin.resetOffsets commits nothing for a group that never
 * existed, so a member joins and commits explicitly.
 */
async function startGroupAtEnd(groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
    await joined;
    await consumer.commitOffsets(ends.map((o) => ({ topic, partition: o.partition, offset: o.high })));
  } finally {
    await consumer.disconnect();
  }
}

const DRIFT_WINDOW = 150;

const v1Training = train(11);
const v2Training = train(23);

beforeAll(async () => {
  db = await createTestDatabase('scoring');
  const brokers = requireEnv('KAFKA_BROKERS');
  registry = await startService('model-registry', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    HTTP_PORT: await freePort(),
    OUTBOX_POLL_MS: '200',
  });
  registryClient = new RegistryClient(registry.url).forTenant(PLATFORM);
  await registryClient.ensureModel(MODEL, 'sentiment');

  await startGroupAtEnd(SCORING_GROUP, Topics.newsEnriched.name);
  const scoredGroup = `scoring-it-reader-${suffix}`;
  await startGroupAtEnd(scoredGroup, Topics.newsScored.name);
  scoredConsumer = kafka.consumer({ groupId: scoredGroup, maxWaitTimeInMs: 200 });
  await scoredConsumer.connect();
  await scoredConsumer.subscribe({ topics: [Topics.newsScored.name], fromBeginning: true });
  await scoredConsumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString() ?? '';
      if (!key.startsWith(PREFIX)) return;
      // Another scorer on the shared broker may score these articles too: keep this spec's model.
      const value = fromBinary(ScoredArticleSchema, message.value as Buffer);
      if (value.modelName !== MODEL) return;
      seen.push({ key, eventId: message.headers?.['event-id']?.toString() ?? '', value });
    },
  });
  producer = kafka.producer();
  await producer.connect();

  scoringEnv = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    KAFKA_CONSUMER_GROUP: SCORING_GROUP,
    MODEL_REGISTRY_URL: registry.url,
    SENTIMENT_MODEL_NAME: MODEL,
    SENTIMENT_TEACHER_MODEL_NAME: TEACHER,
    // Long enough that every swap in this spec comes from a lifecycle event, not the poll.
    MODEL_POLL_INTERVAL_MS: '600000',
    SENTIMENT_DRIFT_WINDOW: String(DRIFT_WINDOW),
  };
  scoring = await startScoring();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await scoredConsumer?.disconnect();
  await scoring?.stop();
  await registry?.stop();
  await db?.drop();
});

const negativeArticle = article('Tesla ($TSLA) shares plunge after a product recall', [ticker('NEG')]);
const positiveArticle = article('Apple ($AAPL) beats earnings estimates on record sales', [ticker('POS')]);
const twoTickers = article('Boeing ($BA) downgraded to sell amid a lawsuit', [
  ticker('TWO-A'),
  ticker('two-b'),
  ticker('TWO-A'),
]);
const noTickers = article('Exxon ($XOM) names new head of finance', []);
const heldArticles = [negativeArticle, positiveArticle, twoTickers, noTickers];

describe('scoring: sentiment', () => {
  it('is ready without a production model, answers 503, and holds the news in Kafka (across a restart)', async () => {
    expect((await fetch(`${scoring.url}/healthz/ready`)).status).toBe(200);
    const status = await current();
    expect(status.sentiment).toMatchObject({
      name: MODEL,
      serving: null,
      lastRefused: null,
      backend: 'tensorflow',
    });
    const refused = await postSentiment({ texts: ['shares plunge'] });
    expect(refused.status).toBe(503);
    expect(refused.body.message).toBe('no production sentiment model yet');

    await produce(heldArticles);
    await eventually(
      async () => ((await metric('mercato_scoring_batches_waiting_for_model')) >= 1 ? true : undefined),
      30_000,
      'a batch held for a model',
    );
    // An article without tickers produces nothing: it is counted, and committed at once (its
    // partition may be polled after the held batch's, later still on a loaded machine).
    await eventually(
      async () =>
        (await metric('mercato_scoring_skipped_articles_total', { reason: 'no_tickers' })) >= 1
          ? true
          : undefined,
      30_000,
      'the article without tickers counted',
    );
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seen).toHaveLength(0);

    // A drain while batches are held gives them back uncommitted and exits cleanly.
    expect(await scoring.stop()).toBe(0);
    expect(scoring.output()).toContain('no production sentiment model yet: holding the batch uncommitted');
    scoring = await startScoring();
    await new Promise((r) => setTimeout(r, 2_000));
    expect(seen).toHaveLength(0);
  }, 120_000);

  it('scores the news that waited once a first version is promoted', async () => {
    const version = await registerAndPromote(await v1Training, `v1-${suffix}`);
    expect(version).toBe(1);
    const loaded = await eventually(
      async () => {
        const s = (await current()).sentiment;
        return s.serving?.version === 1 ? s : undefined;
      },
      30_000,
      'v1 to be served',
    );
    expect(loaded.serving.trigger).toBe('event');
    await eventually(async () => (seen.length >= 4 ? true : undefined), 30_000, 'the held news to be scored');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen).toHaveLength(4);

    const neg = seenFor((s) => s.key === ticker('NEG'));
    expect(neg).toHaveLength(1);
    const [n] = neg;
    expect(n?.eventId).toBe(scoredEventId(negativeArticle.eventId, ticker('NEG')));
    expect(n?.value).toMatchObject({
      tenantId: 'tenant-it',
      articleId: negativeArticle.articleId,
      ticker: ticker('NEG'),
      source: 'newswire',
      headline: negativeArticle.headline,
      label: SentimentLabel.NEGATIVE,
      modelName: MODEL,
      modelVersion: '1',
      modelOwner: PLATFORM,
    });
    const v = n?.value as ScoredArticle;
    expect(v.probNegative).toBeGreaterThan(0.5);
    expect(v.probNegative + v.probNeutral + v.probPositive).toBeCloseTo(1, 4);
    expect(v.topTokens.length).toBeGreaterThan(0);
    expect(v.topTokens.length).toBeLessThanOrEqual(5);
    expect(v.topTokens.slice(0, 3).map((t) => t.token)).toContain('plunge');
    const weights = v.topTokens.map((t) => t.weight);
    expect(weights).toEqual([...weights].sort((a, b) => b - a));
    expect(weights.every((w) => w > 0)).toBe(true);
    expect(timestampDate(v.publishedAt as never).toISOString()).toBe(PUBLISHED.toISOString());
    expect(timestampDate(v.receivedAt as never).toISOString()).toBe(RECEIVED.toISOString());
    expect(timestampDate(v.scoredAt as never).getTime()).toBeGreaterThan(RECEIVED.getTime());

    expect(seenFor((s) => s.key === ticker('POS'))[0]?.value.label).toBe(SentimentLabel.POSITIVE);
    const two = seenFor((s) => s.value.articleId === twoTickers.articleId);
    expect(two.map((s) => s.key).sort()).toEqual([ticker('TWO-A'), ticker('TWO-B')]);
    expect(new Set(two.map((s) => s.eventId)).size).toBe(2);
    expect(seenFor((s) => s.value.articleId === noTickers.articleId)).toHaveLength(0);
    expect(await metric('mercato_scoring_model_version', { model: MODEL })).toBe(1);
    // At least: other specs' news on the shared topic is scored too.
    expect(
      await metric('mercato_scoring_scored_records_total', { model: MODEL, version: '1' }),
    ).toBeGreaterThanOrEqual(4);
  }, 60_000);

  it('scores texts over HTTP and rejects bad requests with the field and reason', async () => {
    const ok = await postSentiment({
      texts: [
        'Nvidia ($NVDA) shares plunge after weak demand',
        'Microsoft ($MSFT) rallies to record high after record sales',
      ],
    });
    expect(ok.status).toBe(200);
    expect(ok.body.model).toEqual({ name: MODEL, version: 1, owner: 'platform', architecture: 'cnn' });
    expect(ok.body.results.map((r: any) => r.label)).toEqual(['negative', 'positive']);
    const [first] = ok.body.results;
    expect(Object.keys(first.probabilities).sort()).toEqual(['negative', 'neutral', 'positive']);
    expect(
      first.probabilities.negative + first.probabilities.neutral + first.probabilities.positive,
    ).toBeCloseTo(1, 4);
    expect(first.topTokens.map((t: any) => t.token)).toContain('plunge');
    expect(first.topTokens.length).toBeLessThanOrEqual(5);

    const bad: [unknown, string, RegExp][] = [
      [{}, 'texts', /array/],
      [{ texts: [] }, 'texts', /at least one/],
      [{ texts: Array.from({ length: 101 }, () => 'a') }, 'texts', /at most 100/],
      [{ texts: ['fine', ''] }, 'texts[1]', /empty/],
      [{ texts: ['   '] }, 'texts[0]', /blank/],
      [{ texts: ['x'.repeat(5_001)] }, 'texts[0]', /5000 characters/],
      [{ texts: ['fine', 7] }, 'texts[1]', /string/],
    ];
    for (const [body, field, reason] of bad) {
      const res = await postSentiment(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.body.message).toBe('invalid request');
      expect(res.body.errors).toEqual(
        expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }]),
      );
    }
    expect(
      (await postSentiment({ texts: Array.from({ length: 100 }, () => 'x'.repeat(5_000)) })).status,
    ).toBe(200);

    // The same over gRPC: SentimentService.ScoreText, and INVALID_ARGUMENT naming the field.
    const grpc = createClient(
      SentimentService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }),
    );
    const viaGrpc = await grpc.scoreText({ texts: ['Nvidia ($NVDA) shares plunge after weak demand'] });
    expect(viaGrpc).toMatchObject({
      modelName: MODEL,
      modelVersion: '1',
      modelOwner: 'platform',
      modelArchitecture: 'cnn',
    });
    expect(viaGrpc.scores[0]?.label).toBe(SentimentLabel.NEGATIVE);
    await expect(grpc.scoreText({ texts: [] })).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/texts: must hold at least one text/),
    });

    const doc: any = await (await fetch(`${scoring.url}/v1/openapi.json`)).json();
    expect(doc.paths['/v1/sentiment'].post.responses).toHaveProperty('503');
    expect(doc.paths).toHaveProperty('/v1/models/current');
  });

  it('swaps to a promoted v2 while 2,000 records flow, scoring each (article, ticker) exactly once', async () => {
    const partitions = Topics.newsEnriched.partitions;
    const stream = Array.from({ length: 2_000 }, (_, i) =>
      article(
        i % 2 === 0
          ? 'Pfizer ($PFE) cuts guidance, warns of rising costs'
          : 'Amazon ($AMZN) schedules earnings call for Monday',
        [ticker(`S${i % 7}`)],
        i % partitions,
      ),
    );
    const v2 = await v2Training;
    const streamIds = new Set(stream.map((a) => a.articleId));
    const mine = (): Seen[] => seenFor((s) => streamIds.has(s.value.articleId));
    // The stream flows for about four seconds; v2 is promoted once v1 has visibly scored part of it
    // (other specs' news on the shared topic may be queued ahead of ours).
    const flowing = (async () => {
      for (let b = 0; b < 40; b++) {
        await produce(stream.slice(b * 50, (b + 1) * 50));
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    await eventually(async () => (mine().length >= 100 ? true : undefined), 60_000, 'v1 scoring the stream');
    expect(await registerAndPromote(v2, `v2-${suffix}`)).toBe(2);
    await flowing;

    await eventually(async () => (mine().length >= 2_000 ? true : undefined), 90_000, 'all 2,000 scored');
    await new Promise((r) => setTimeout(r, 1_500));
    const scored = mine();
    expect(scored).toHaveLength(2_000);
    const expected = new Set(stream.map((a) => scoredEventId(a.eventId, a.tickers[0] as string)));
    expect(new Set(scored.map((s) => s.eventId))).toEqual(expected);

    const versionOf = new Map(scored.map((s) => [s.value.articleId, s.value.modelVersion]));
    const byVersion = { '1': 0, '2': 0 } as Record<string, number>;
    for (const s of scored) byVersion[s.value.modelVersion] = (byVersion[s.value.modelVersion] ?? 0) + 1;
    expect(Object.keys(byVersion).sort()).toEqual(['1', '2']);
    expect(byVersion['1']).toBeGreaterThan(0);
    expect(byVersion['2']).toBeGreaterThan(0);
    // Within a partition records are consumed in order: once v2 scored one, it scored every later one.
    for (let p = 0; p < partitions; p++) {
      const versions = stream.filter((a) => a.partition === p).map((a) => versionOf.get(a.articleId));
      const firstV2 = versions.indexOf('2');
      expect(firstV2).toBeGreaterThanOrEqual(0);
      expect(versions.slice(firstV2).every((v) => v === '2')).toBe(true);
    }
    const status = (await current()).sentiment;
    expect(status.serving).toMatchObject({ version: 2, trigger: 'event' });
    expect(await metric('mercato_scoring_model_swaps_total', { model: MODEL, trigger: 'event' })).toBe(2);
    console.log(`swap under load: ${byVersion['1']} records scored by v1, ${byVersion['2']} by v2`);
  }, 180_000);

  it('refuses a version whose stored bytes were tampered with, and one that is not a usable model', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const tamper = async (version: number, sql: string): Promise<void> => {
      const res = await client.query(
        `UPDATE model_registry.artifacts a SET ${sql}
           FROM model_registry.versions v JOIN model_registry.models m ON m.id = v.model_id
          WHERE a.version_id = v.id AND m.name = $1 AND m.tenant_id = 'platform' AND v.version = $2 AND a.path = $3`,
        [MODEL, version, version === 3 ? 'weights.bin' : 'manifest.json'],
      );
      expect(res.rowCount).toBe(1);
    };
    try {
      const v1 = await v1Training;
      // v3: weights flipped in the registry's store; the registry's checksum no longer matches.
      const v3 = await registryClient.register(MODEL, {
        metrics: v1.metrics,
        lineage: v1.lineage,
        idempotencyKey: `v3-${suffix}`,
        files: v1.artifact.files,
      });
      await tamper(3, `content = decode('deadbeefdeadbeef', 'hex') || substring(a.content from 9)`);
      await promote(v3.version);
      const refused = await eventually(
        async () => {
          const s = (await current()).sentiment;
          return s.lastRefused?.version === 3 ? s : undefined;
        },
        30_000,
        'v3 to be refused',
      );
      expect(refused.lastRefused.reason).toBe('integrity');
      expect(refused.serving.version).toBe(2);
      expect(
        await metric('mercato_scoring_model_swap_failures_total', { model: MODEL, reason: 'integrity' }),
      ).toBe(1);

      // v4: a manifest whose labels are not the sentiment labels, with a matching checksum.
      const v4 = await registryClient.register(MODEL, {
        metrics: v1.metrics,
        lineage: v1.lineage,
        idempotencyKey: `v4-${suffix}`,
        files: v1.artifact.files,
      });
      await tamper(
        4,
        `content = convert_to(replace(convert_from(a.content, 'UTF8'), '"negative"', '"bearish"'), 'UTF8'),
         sha256 = encode(sha256(convert_to(replace(convert_from(a.content, 'UTF8'), '"negative"', '"bearish"'), 'UTF8')), 'hex'),
         size_bytes = length(convert_to(replace(convert_from(a.content, 'UTF8'), '"negative"', '"bearish"'), 'UTF8'))`,
      );
      await promote(v4.version);
      const refusedAgain = await eventually(
        async () => {
          const s = (await current()).sentiment;
          return s.lastRefused?.version === 4 ? s : undefined;
        },
        30_000,
        'v4 to be refused',
      );
      expect(refusedAgain.lastRefused.reason).toBe('invalid_model');
      expect(refusedAgain.lastRefused.error).toMatch(/labels/);
      expect(refusedAgain.serving.version).toBe(2);
      expect(scoring.output()).toContain('refused a sentiment model version; the serving version stays');
    } finally {
      await client.end();
    }

    const after = article('Coca-Cola ($KO) slumps as investors fret over falling margins', [ticker('AFTER')]);
    await produce([after]);
    const scoredAfter = await eventually(
      async () => seenFor((s) => s.key === ticker('AFTER'))[0],
      30_000,
      'news after the refusals',
    );
    expect(scoredAfter.value.modelVersion).toBe('2');
    expect((await postSentiment({ texts: ['shares plunge'] })).body.model.version).toBe(2);
    expect(await metric('mercato_scoring_model_version', { model: MODEL })).toBe(2);
  }, 90_000);

  it("scores a tenant's news with its own model, and every other tenant's with the platform's", async () => {
    const ownClient = new RegistryClient(registry.url).forTenant(OWN_TENANT);
    await ownClient.ensureModel(MODEL, 'sentiment');
    expect(await registerAndPromote(await v1Training, `own-${suffix}`, ownClient)).toBe(1);
    const own = article(
      'Tesla ($TSLA) shares plunge after a product recall',
      [ticker('OWN')],
      undefined,
      OWN_TENANT,
    );
    const other = article(
      'Tesla ($TSLA) shares plunge after a product recall',
      [ticker('OTHER')],
      undefined,
      `other-${suffix}`,
    );
    await produce([own, other]);
    const ownScored = await eventually(
      async () => seenFor((x) => x.key === ticker('OWN'))[0],
      30_000,
      'own news',
    );
    const otherScored = await eventually(
      async () => seenFor((x) => x.key === ticker('OTHER'))[0],
      30_000,
      'other news',
    );
    expect(ownScored.value).toMatchObject({
      tenantId: OWN_TENANT,
      modelOwner: OWN_TENANT,
      modelVersion: '1',
    });
    expect(otherScored.value).toMatchObject({ modelOwner: PLATFORM, modelVersion: '2' });

    const asOwn = await postSentiment({ texts: ['shares plunge'] }, OWN_TENANT);
    expect(asOwn.body.model).toMatchObject({ name: MODEL, version: 1, owner: 'tenant' });
    const asOther = await postSentiment({ texts: ['shares plunge'] }, `other-${suffix}`);
    expect(asOther.body.model).toMatchObject({ name: MODEL, version: 2, owner: 'platform' });
    expect((await current(MODEL, OWN_TENANT)).sentiment.serving).toMatchObject({ version: 1 });
    // Another tenant never sees this tenant's model in the status either.
    const theirs: any = await (
      await fetch(`${scoring.url}/v1/models/current`, { headers: { 'x-mercato-tenant': `other-${suffix}` } })
    ).json();
    expect(theirs.sentiment.models.map((m: any) => m.owner)).not.toContain(OWN_TENANT);
  }, 90_000);

  it('answers with the teacher on request, and refuses a transformer whose tokenizer does not match its weights', async () => {
    expect((await postSentiment({ texts: ['shares plunge'], model: 'teacher' })).status).toBe(503);
    const texts = [...toLabeled(5, 600), ...toLabeled(6, 100)];
    const encoderDir = writeTinyEncoder(mkdtempSync(join(tmpdir(), 'tiny-encoder-')), {
      texts: texts.map((t) => t.text),
    });
    const teacher = await runSentimentJob({
      kind: 'sentiment',
      architecture: 'transformer',
      trainPath: '',
      encoderDir,
      inline: { train: texts.slice(0, 600), test: texts.slice(600) },
      hyperparameters: { epochs: 4, learningRate: 0.003, batchSize: 16, maxLength: 24 },
    });
    expect(teacher.metrics.accuracy).toBeGreaterThan(0.9);
    await registryClient.ensureModel(TEACHER, 'sentiment');
    expect(await registerAndPromote(teacher, `teacher-1-${suffix}`, registryClient, TEACHER)).toBe(1);
    const answered = await eventually(
      async () => {
        const res = await postSentiment({
          texts: ['Tesla ($TSLA) shares plunge after a product recall'],
          model: 'teacher',
        });
        return res.status === 200 ? res.body : undefined;
      },
      30_000,
      'the teacher to serve',
    );
    expect(answered.model).toEqual({
      name: TEACHER,
      version: 1,
      owner: 'platform',
      architecture: 'transformer',
    });
    expect(answered.results[0].label).toBe('negative');
    expect(answered.results[0].topTokens.length).toBeGreaterThan(0);
    // The default model still answers requests that do not ask for the teacher.
    expect((await postSentiment({ texts: ['shares plunge'] })).body.model.architecture).toBe('cnn');

    // v2: a tokenizer with one word more than the embedding matrix has rows, consistent in every
    // checksum and in the manifest: scoring loads it, finds the mismatch, and keeps v1.
    const tokenizerFile = teacher.artifact.files.find((f) => f.path === 'tokenizer.json');
    const manifestFile = teacher.artifact.files.find((f) => f.path === 'manifest.json');
    const tokenizer = JSON.parse(Buffer.from(tokenizerFile?.bytes ?? []).toString('utf8'));
    tokenizer.model.vocab.unmatchedword = Object.keys(tokenizer.model.vocab).length;
    const manifest = JSON.parse(Buffer.from(manifestFile?.bytes ?? []).toString('utf8'));
    manifest.extra.tokenizer.version = WordPieceTokenizer.fromJSON(tokenizer).version;
    const files = teacher.artifact.files.map((f) =>
      f.path === 'tokenizer.json'
        ? { path: f.path, bytes: Buffer.from(JSON.stringify(tokenizer)) }
        : f.path === 'manifest.json'
          ? { path: f.path, bytes: Buffer.from(JSON.stringify(manifest)) }
          : f,
    );
    const v2 = await registryClient.register(TEACHER, {
      metrics: teacher.metrics,
      lineage: teacher.lineage,
      idempotencyKey: `teacher-2-${suffix}`,
      files,
    });
    await promote(v2.version, registryClient, TEACHER);
    const refused = await eventually(
      async () => {
        const t = (await current(TEACHER)).sentiment;
        return t.lastRefused?.version === 2 ? t : undefined;
      },
      30_000,
      'the mismatched teacher to be refused',
    );
    expect(refused.lastRefused.reason).toBe('invalid_model');
    expect(refused.lastRefused.error).toMatch(
      /tokenizer has \d+ entries but the weights' embedding matrix has \d+ rows/,
    );
    expect(refused.serving).toMatchObject({ version: 1, architecture: 'transformer' });
    expect((await postSentiment({ texts: ['shares plunge'], model: 'teacher' })).body.model.version).toBe(1);
  }, 180_000);

  it("publishes each tenant's prediction drift against the model's held-out evaluation on models.monitoring.v1", async () => {
    const tenant = `drift-${suffix}`;
    const group = `scoring-it-drift-${suffix}`;
    await startGroupAtEnd(group, Topics.modelMonitoring.name);
    const events: ModelMonitoring[] = [];
    const reader = kafka.consumer({ groupId: group, maxWaitTimeInMs: 200 });
    await reader.connect();
    await reader.subscribe({ topic: Topics.modelMonitoring.name });
    await reader.run({
      eachMessage: async ({ message }) => {
        const e = fromBinary(ModelMonitoringSchema, message.value ?? new Uint8Array());
        if (e.tenantId === tenant) events.push(e);
      },
    });
    try {
      const news = generateNews({ seed: 777, count: 2_000, start: PUBLISHED, spacingMs: 1_000 });
      // News like the training data's: the predictions look like the held-out evaluation's.
      await produce(
        news.slice(0, DRIFT_WINDOW).map((a) => article(a.headline, [ticker('DRIFT')], undefined, tenant)),
      );
      const stable = await eventually(async () => events[0], 60_000, 'the first drift window');
      expect(stable).toMatchObject({ modelName: MODEL, sample: DRIFT_WINDOW, threshold: 0.25, drifted: [] });
      expect(stable.figures.psi_predicted_class).toBeLessThan(0.1);
      // The same vocabulary as the training data: few unknown words, near the held-out texts' share.
      expect(stable.figures.reference_unknown_rate).toBeLessThan(0.05);
      expect(stable.figures.unknown_rate).toBeLessThan(0.05);
      // Then only bad news: the class mix shifts far from the evaluation's.
      const negative = news.filter((a) => a.sentiment === 'negative').slice(0, DRIFT_WINDOW);
      await produce(negative.map((a) => article(a.headline, [ticker('DRIFT')], undefined, tenant)));
      const shifted = await eventually(async () => events[1], 60_000, 'the second drift window');
      expect(shifted.drifted).toContain('psi_predicted_class');
      expect(shifted.figures.psi_predicted_class).toBeGreaterThan(0.25);
      expect(shifted.figures.share_negative).toBeGreaterThan(0.8);
      expect(shifted.version).toBe(stable.version);
      expect(
        await metric('mercato_model_drift_psi', { tenant, model: MODEL, signal: 'predicted_class' }),
      ).toBeCloseTo(shifted.figures.psi_predicted_class ?? NaN, 6);
      // Then news in words the model never saw: the unknown-word rate rises past its margin.
      const unseen = news
        .slice(DRIFT_WINDOW, 2 * DRIFT_WINDOW)
        .map((a) => `${a.headline} as vexmoor zorblax quuxifies the frobnicators`);
      await produce(unseen.map((text) => article(text, [ticker('DRIFT')], undefined, tenant)));
      const unread = await eventually(async () => events[2], 60_000, 'the third drift window');
      expect(unread.drifted).toContain('unknown_rate');
      expect(unread.figures.unknown_rate).toBeGreaterThan(
        (unread.figures.reference_unknown_rate ?? NaN) + (unread.figures.unknown_rate_margin ?? NaN),
      );
      expect(await metric('mercato_model_unknown_rate', { tenant, model: MODEL })).toBeCloseTo(
        unread.figures.unknown_rate ?? NaN,
        6,
      );
    } finally {
      await reader.disconnect();
    }
  });

  it('drains on SIGTERM', async () => {
    expect(await scoring.stop()).toBe(0);
    expect(scoring.output()).toContain('"msg":"stopped"');
  }, 60_000);
});
