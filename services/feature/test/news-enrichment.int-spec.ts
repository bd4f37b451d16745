// The feature service's news path end to end, as a real process on the real broker and its own
// database: NewsArticle records on news.raw.v1 become EnrichedArticle records on news.enriched.v1
// and rows of the offline store; invalid records are dead-lettered; redelivery stores nothing twice
// and republishes with the same event id; a SIGKILL in the middle of a 3,000-article stream and a
// restart leave every article enriched and stored exactly once. Other engineers share the broker
// and the catalogue topics, so everything here is filtered by this run's unique id prefix.
import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DeadLetterSchema,
  EnrichedArticleSchema,
  Topics,
  type DeadLetter,
  type EnrichedArticle,
  type NewsArticleSchema,
} from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { tokenize } from '@mercato/ml';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import type { Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrichedEventId } from '../src/news/event-ids';

type RawArticle = MessageInitShape<typeof NewsArticleSchema>;

const kafka = testKafka();
const suffix = uniqueSuffix();
const prefix = `fx-${suffix}-`;
const GROUP = `test-feature-${suffix}`;
const DAY_MS = 24 * 60 * 60 * 1000;

let db: TestDatabase;
let sql: pg.Client;
let producer: EventProducer;
let reader: Consumer;
let feature: ServiceProcess;
let env: Record<string, string>;
const started: ServiceProcess[] = [];

interface Seen {
  value: EnrichedArticle;
  eventId: string;
  key: string;
}
/** Every enriched record of this run, by article id, in the order read. */
const enriched = new Map<string, Seen[]>();
const deadLetters: DeadLetter[] = [];

async function startFeature(extra: Record<string, string> = {}): Promise<ServiceProcess> {
  const svc = await startService('feature', { ...env, HTTP_PORT: String(await freePort()), ...extra });
  started.push(svc);
  return svc;
}

/** Publishes raw articles (key = article id unless given) with the given or fresh event ids. */
async function publish(
  articles: (RawArticle & { articleId: string })[],
  opts: { eventIds?: string[]; key?: string } = {},
): Promise<string[]> {
  const eventIds = opts.eventIds ?? articles.map(() => randomUUID());
  await producer.send(
    Topics.newsRaw,
    articles.map((value, i) => ({
      key: opts.key ?? value.articleId,
      value,
      eventId: eventIds[i] as string,
    })),
  );
  return eventIds;
}

const seen = (id: string): Seen[] => enriched.get(id) ?? [];

async function enrichedOf(id: string, timeoutMs = 60_000): Promise<Seen> {
  return eventually(async () => seen(id)[0], timeoutMs, `the enriched record of ${id}`);
}

async function storedCount(like: string): Promise<{ rows: number; distinct: number }> {
  const { rows } = await sql.query<{ rows: number; distinct: number }>(
    `SELECT count(*)::int AS rows, count(DISTINCT (tenant_id, article_id))::int AS distinct
       FROM feature.article_features WHERE article_id LIKE $1`,
    [like],
  );
  return rows[0] as { rows: number; distinct: number };
}

const partitionOf = async (id: string): Promise<string | undefined> =>
  (
    await sql.query<{ partition: string }>(
      'SELECT tableoid::regclass::text AS partition FROM feature.article_features WHERE article_id = $1',
      [id],
    )
  ).rows[0]?.partition;

const dayTable = (time: Date): string =>
  `feature.article_features_p${time.toISOString().slice(0, 10).replace(/-/g, '')}`;

beforeAll(async () => {
  db = await createTestDatabase('feature_news');
  const readerGroup = `test-feature-reader-${suffix}`;
  // The service also consumes the recs topics; starting its group at their end spares it replaying
  // every interaction other runs left on the shared broker.
  await startGroupAtEnd(kafka, GROUP, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, readerGroup, [Topics.newsEnriched.name, Topics.newsRaw.deadLetter]);
  env = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_CONSUMER_GROUP: GROUP,
    // A short window at first, so an article ten days old goes to the default partition; the
    // restarted process uses the default window and creates that day's partition later.
    ARTICLE_PARTITION_PAST_DAYS: '5',
  };
  feature = await startFeature();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  producer = new EventProducer(kafka);
  await producer.connect();
  reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({
    topics: [Topics.newsEnriched.name, Topics.newsRaw.deadLetter],
    fromBeginning: true,
  });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === Topics.newsRaw.deadLetter) {
        const letter = fromBinary(DeadLetterSchema, message.value ?? new Uint8Array());
        if (
          letter.consumerGroup === GROUP &&
          Buffer.from(letter.originalKey).toString('utf8').startsWith(prefix)
        )
          deadLetters.push(letter);
        return;
      }
      const key = message.key?.toString('utf8') ?? '';
      // Other feature services on the shared broker enrich these articles too: keep this run's.
      if (!key.startsWith(prefix) || message.headers?.['derived-by']?.toString() !== GROUP) return;
      const value = fromBinary(EnrichedArticleSchema, message.value ?? new Uint8Array());
      const eventId = message.headers?.['event-id']?.toString() ?? '';
      enriched.set(value.articleId, [...seen(value.articleId), { value, eventId, key }]);
    },
  });
}, 120_000);

afterAll(async () => {
  await reader?.disconnect();
  await producer?.disconnect();
  for (const svc of started)
    if (svc.child.exitCode === null && svc.child.signalCode === null) await svc.stop();
  await sql?.end();
  await db?.drop();
});

describe('feature service: news.raw.v1 → news.enriched.v1 and the offline store', () => {
  const published = new Date(Date.now() - 60 * 60 * 1000);
  const received = new Date(Date.now() - 30 * 60 * 1000);
  const tenDaysAgo = new Date(Date.now() - 10 * DAY_MS);

  it('enriches articles: text, tokens, tickers, language, carried fields; stores and serves them', async () => {
    const articles = {
      en: {
        articleId: `${prefix}en`,
        source: 'newswire',
        publishedAt: timestampFromDate(published),
        receivedAt: timestampFromDate(received),
        headline: 'Tesla  recalls 2 million cars',
        body: 'Shares of Ford rose while $NVDA fell after the company said that it will cut prices.',
        tickers: ['msft'],
        contentHash: 'hash-en',
      },
      de: {
        articleId: `${prefix}de`,
        tenantId: 'acme',
        source: 'dpa-sim',
        publishedAt: timestampFromDate(published),
        headline: 'Die Aktie von Apple ist gefallen',
        body: 'Die Anleger sind nach der Veröffentlichung der Zahlen enttäuscht, und auch die Prognose wird gesenkt.',
        contentHash: 'hash-de',
      },
      none: {
        articleId: `${prefix}none`,
        source: 'econ',
        publishedAt: timestampFromDate(published),
        headline: 'Central bank holds rates steady as inflation cools',
        body: 'Students mind the gap; apple pie sales rose. The CEO of A USA IT firm spoke.',
        language: 'en-GB',
      },
      old: {
        articleId: `${prefix}old`,
        source: 'archive',
        publishedAt: timestampFromDate(tenDaysAgo),
        headline: 'Students Mind The Gap As Visa Rules Tighten',
        body: '',
      },
    } satisfies Record<string, RawArticle & { articleId: string }>;
    const [enEvent] = await publish([articles.en, articles.de, articles.none, articles.old]);

    const en = await enrichedOf(articles.en.articleId);
    const text =
      'Tesla recalls 2 million cars\nShares of Ford rose while $NVDA fell after the company said that it will cut prices.';
    expect(en.key).toBe(articles.en.articleId);
    expect(en.eventId).toBe(enrichedEventId(enEvent as string));
    expect(en.value).toMatchObject({
      tenantId: 'default',
      articleId: articles.en.articleId,
      source: 'newswire',
      headline: 'Tesla  recalls 2 million cars',
      normalizedText: text,
      tokens: tokenize(text),
      tokenizerVersion: 'words-v1',
      tickers: ['MSFT', 'TSLA', 'F', 'NVDA'],
      language: 'en',
      contentHash: 'hash-en',
    });
    expect(timestampDate(en.value.publishedAt!)).toEqual(published);
    expect(timestampDate(en.value.receivedAt!)).toEqual(received);

    const de = (await enrichedOf(articles.de.articleId)).value;
    expect(de).toMatchObject({ tenantId: 'acme', language: 'de', tickers: [], contentHash: 'hash-de' });
    const none = (await enrichedOf(articles.none.articleId)).value;
    expect(none).toMatchObject({ language: 'en', tickers: [] });
    expect(none.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const old = (await enrichedOf(articles.old.articleId)).value;
    expect(old).toMatchObject({ tickers: [], language: 'en', normalizedText: articles.old.headline });

    // The offline store: one row each, in the day's partition (or the default one, out of window).
    const { rows } = await sql.query(
      `SELECT article_id, tenant_id, tickers, language, tokenizer_version, event_id, source_event_id
         FROM feature.article_features WHERE article_id LIKE $1 ORDER BY article_id`,
      [`${prefix}%`],
    );
    expect(rows).toHaveLength(4);
    expect(rows.find((r) => r.article_id === articles.en.articleId)).toEqual({
      article_id: articles.en.articleId,
      tenant_id: 'default',
      tickers: ['MSFT', 'TSLA', 'F', 'NVDA'],
      language: 'en',
      tokenizer_version: 'words-v1',
      event_id: en.eventId,
      source_event_id: enEvent,
    });
    expect(await partitionOf(articles.en.articleId)).toBe(dayTable(published));
    expect(await partitionOf(articles.old.articleId)).toBe('feature.article_features_default');

    // HTTP: the stored article of the default tenant; 404 for another tenant's or an unknown one.
    const res = await fetch(`${feature.url}/v1/articles/${articles.en.articleId}/features`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      articleId: articles.en.articleId,
      tenantId: 'default',
      eventId: en.eventId,
      sourceEventId: enEvent,
      publishedAt: published.toISOString(),
      receivedAt: received.toISOString(),
      normalizedText: text,
      tokens: tokenize(text),
      tickers: ['MSFT', 'TSLA', 'F', 'NVDA'],
      language: 'en',
      contentHash: 'hash-en',
    });
    expect((await fetch(`${feature.url}/v1/articles/${articles.de.articleId}/features`)).status).toBe(404);
    const missing = await fetch(`${feature.url}/v1/articles/${prefix}nope/features`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'not_found' });

    const metrics = await (await fetch(`${feature.url}/metrics`)).text();
    expect(metrics).toMatch(/mercato_feature_articles_enriched_total\{[^}]*result="stored"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/mercato_feature_article_tickers_bucket/);
    expect(metrics).toMatch(/mercato_feature_article_enrichment_lag_seconds_count\{[^}]*\} [1-9]/);
  }, 90_000);

  it('dead-letters a record without article id or headline, and still enriches its batch neighbours', async () => {
    const key = `${prefix}pair`;
    const good = { articleId: `${prefix}good`, source: 's', headline: 'Nvidia beats estimates', body: '' };
    const [noHeadline, noId] = await publish(
      [
        { articleId: `${prefix}bad-headline`, source: 's', headline: '  ', body: 'body only' },
        { articleId: '', source: 's', headline: 'no id' },
        good,
      ],
      { key },
    );
    expect((await enrichedOf(good.articleId)).value.tickers).toEqual(['NVDA']);
    await eventually(async () => (deadLetters.length >= 2 ? true : undefined), 30_000, 'two dead letters');
    const byEvent = new Map(deadLetters.map((d) => [d.originalHeaders['event-id'], d]));
    expect(byEvent.get(noHeadline)).toMatchObject({
      sourceTopic: Topics.newsRaw.name,
      consumerGroup: GROUP,
      reason: 'validation',
      errorClass: 'NonRetriableError',
    });
    expect(byEvent.get(noHeadline)?.errorMessage).toMatch(/headline is required/);
    expect(byEvent.get(noId)?.errorMessage).toMatch(/article_id is required/);
    expect(seen(`${prefix}bad-headline`)).toEqual([]);
    expect((await storedCount(`${prefix}bad-%`)).rows).toBe(0);
  }, 60_000);

  it('redelivery stores nothing twice and republishes with the same event id', async () => {
    const id = `${prefix}again`;
    const raw = { articleId: id, source: 's', headline: 'Microsoft files report', body: 'Nothing new.' };
    const eventId = randomUUID();
    await publish([raw], { eventIds: [eventId] });
    await enrichedOf(id);
    await publish([raw], { eventIds: [eventId] });
    // The same article again under another event id (a resend upstream): still the stored one.
    await publish([{ ...raw, headline: 'Microsoft files a corrected report' }]);
    // A marker behind them on the same partition: once it is enriched, so are the copies before it.
    await publish([{ articleId: `${prefix}again-marker`, source: 's', headline: 'marker' }], { key: id });
    await enrichedOf(`${prefix}again-marker`);

    expect(await storedCount(id)).toEqual({ rows: 1, distinct: 1 });
    const copies = seen(id);
    expect(copies.length).toBeGreaterThanOrEqual(1);
    expect(new Set(copies.map((c) => c.eventId))).toEqual(new Set([enrichedEventId(eventId)]));
    expect(new Set(copies.map((c) => c.value.headline))).toEqual(new Set(['Microsoft files report']));
    const { rows } = await sql.query(
      'SELECT source_event_id FROM feature.article_features WHERE article_id = $1',
      [id],
    );
    expect(rows).toEqual([{ source_event_id: eventId }]);
  }, 60_000);

  it('SIGKILL in the middle of 3,000 articles, then restart: each enriched and stored exactly once', async () => {
    const start = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const articles = generateNews({ seed: 11, count: 3_000, start, spacingMs: 2_000 }).map((a, i) => ({
      generated: a,
      raw: {
        articleId: `${prefix}k-${i}`,
        source: a.source,
        publishedAt: timestampFromDate(new Date(a.published_at)),
        headline: a.headline,
        body: a.body,
        tickers: a.tickers,
        language: a.language,
      },
    }));
    const eventIdOf = new Map<string, string>();
    // Produced in chunks while the service runs, so the kill lands mid-stream.
    const producing = (async () => {
      for (let i = 0; i < articles.length; i += 100) {
        const chunk = articles.slice(i, i + 100).map((a) => a.raw);
        const ids = await publish(chunk);
        chunk.forEach((a, j) => eventIdOf.set(a.articleId, ids[j] as string));
        await new Promise((r) => setTimeout(r, 40));
      }
    })();
    await eventually(
      async () => ((await storedCount(`${prefix}k-%`)).rows >= 600 ? true : undefined),
      60_000,
      '600 stored articles',
    );
    await feature.kill();
    const atKill = await storedCount(`${prefix}k-%`);
    expect(atKill.rows).toBeLessThan(3_000);
    await producing;

    feature = await startFeature({ ARTICLE_PARTITION_PAST_DAYS: '1095' });
    await eventually(
      async () => ((await storedCount(`${prefix}k-%`)).rows === 3_000 ? true : undefined),
      150_000,
      'all 3,000 articles stored',
    );
    await eventually(
      async () => (articles.every((a) => seen(a.raw.articleId).length > 0) ? true : undefined),
      60_000,
      'all 3,000 articles enriched on the topic',
    );

    expect(await storedCount(`${prefix}k-%`)).toEqual({ rows: 3_000, distinct: 3_000 });
    let messages = 0;
    const eventIds = new Set<string>();
    for (const { raw, generated } of articles) {
      const copies = seen(raw.articleId);
      messages += copies.length;
      // Republished copies (processed before the kill, not yet committed) carry the same event id.
      expect(new Set(copies.map((c) => c.eventId))).toEqual(
        new Set([enrichedEventId(eventIdOf.get(raw.articleId) as string)]),
      );
      expect(copies[0]?.value.tickers).toContain(generated.tickers[0]);
      eventIds.add(copies[0]?.eventId as string);
    }
    expect(eventIds.size).toBe(3_000);
    process.stdout.write(
      `SIGKILL after ${atKill.rows} of 3,000 stored; ${messages - 3_000} enriched records republished after the restart, all deduplicable by event id\n`,
    );
  }, 300_000);

  it('creating a day partition moves that day out of the default partition', async () => {
    // The restarted process's window covers ten days ago; the first article of that day is in the
    // default partition, and the next article of that day creates the day's partition.
    const id = `${prefix}old-2`;
    await publish([
      {
        articleId: id,
        source: 'archive',
        publishedAt: timestampFromDate(tenDaysAgo),
        headline: 'Later news',
      },
    ]);
    await enrichedOf(id);
    expect(await partitionOf(id)).toBe(dayTable(tenDaysAgo));
    expect(await partitionOf(`${prefix}old`)).toBe(dayTable(tenDaysAgo));
    expect((await fetch(`${feature.url}/v1/articles/${prefix}old/features`)).status).toBe(200);
  }, 60_000);
});
