// The ticker contract across the news path, as a client meets it: articles posted to a real ingest
// process with seven-letter, share-class and exchange-qualified tickers come out of a real feature
// process on news.enriched.v1 with every one of those tickers, in the canonical form. A raw record
// from another producer with a symbol outside the contract keeps its valid tickers, and the one
// left out is counted with its reason and logged, never dropped silently.
import { fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EnrichedArticleSchema, Topics, type EnrichedArticle } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { metricValue } from '@mercato/testing';
import type { Consumer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kafka = testKafka();
const suffix = uniqueSuffix();
const prefix = `tk-${suffix}-`;
const GROUP = `test-feature-tickers-${suffix}`;

let db: TestDatabase;
let ingest: ServiceProcess;
let feature: ServiceProcess;
let reader: Consumer;
let producer: EventProducer;
const enriched = new Map<string, EnrichedArticle>();

async function postNews(articles: unknown[]): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ingest.url}/v1/news`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ articles }),
  });
  return { status: res.status, body: await res.json() };
}

const article = (id: string, tickers: string[]) => ({
  id: `${prefix}${id}`,
  source: 'ticker-wire',
  published_at: new Date(Date.now() - 60_000).toISOString(),
  headline: `Quarterly results for ${id}`,
  tickers,
});

const enrichedOf = (id: string): Promise<EnrichedArticle> =>
  eventually(async () => enriched.get(`${prefix}${id}`), 90_000, `the enriched record of ${id}`);

beforeAll(async () => {
  db = await createTestDatabase('feature_tickers');
  const readerGroup = `test-feature-tickers-reader-${suffix}`;
  await startGroupAtEnd(kafka, GROUP, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, readerGroup, [Topics.newsEnriched.name]);
  const common = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
  [ingest, feature] = await Promise.all([
    startService('ingest', { ...common, HTTP_PORT: String(await freePort()) }),
    startService('feature', {
      ...common,
      HTTP_PORT: String(await freePort()),
      KAFKA_CONSUMER_GROUP: GROUP,
    }),
  ]);
  producer = new EventProducer(kafka);
  await producer.connect();
  reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: Topics.newsEnriched.name, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString('utf8') ?? '';
      // Other feature services on the shared broker enrich these articles too: keep this run's.
      if (!key.startsWith(prefix) || message.headers?.['derived-by']?.toString() !== GROUP) return;
      const value = fromBinary(EnrichedArticleSchema, message.value ?? new Uint8Array());
      enriched.set(value.articleId, value);
    },
  });
}, 180_000);

afterAll(async () => {
  await reader?.disconnect();
  await producer?.disconnect();
  await Promise.all([ingest?.stop(), feature?.stop()]);
  await db?.drop();
});

describe('the ticker contract from ingest to the enriched article', () => {
  it('keeps every ticker ingest accepts: long, share-class and exchange-qualified', async () => {
    const sevenLetters = Array.from({ length: 30 }, (_, i) =>
      article(`long-${i}`, [`ABCDE${String.fromCharCode(65 + (i % 26))}${i < 26 ? 'X' : 'Y'}`]),
    );
    const qualified = article('qualified', ['BRK.B', 'VOD.L', '7203.T', 'NOVO-B', 'NOVO-B.CO', 'ABCDEFG']);
    const spelled = article('spelled', ['$novo-b.co', 'nasdaq:abcdefg', 'brk/b', 'vod.l']);
    const answer = await postNews([...sevenLetters, qualified, spelled]);
    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 32, rejected: 0 });

    expect((await enrichedOf('qualified')).tickers).toEqual([
      'BRK.B',
      'VOD.L',
      '7203.T',
      'NOVO-B',
      'NOVO-B.CO',
      'ABCDEFG',
    ]);
    expect((await enrichedOf('spelled')).tickers).toEqual(['NOVO-B.CO', 'ABCDEFG', 'BRK.B', 'VOD.L']);
    for (const [i, a] of sevenLetters.entries())
      expect((await enrichedOf(`long-${i}`)).tickers, a.id).toEqual(a.tickers);
  });

  it('refuses at ingest, naming the field, what is no ticker', async () => {
    const answer = await postNews([article('refused', ['TSLA', 'two words'])]);
    expect(answer.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(answer.body.results[0].errors).toEqual([
      { field: 'tickers[1]', reason: expect.stringMatching(/must be a ticker such as TSLA/) },
    ]);
  });

  it('counts and logs a ticker outside the contract from another producer, keeping the rest', async () => {
    const articleId = `${prefix}foreign`;
    await producer.send(Topics.newsRaw, [
      {
        key: articleId,
        eventId: randomUUID(),
        value: {
          articleId,
          source: 'another-producer',
          headline: 'Results beat estimates',
          publishedAt: timestampFromDate(new Date()),
          tickers: ['VOD.L', 'not a ticker'],
        },
      },
    ]);
    expect((await enrichedOf('foreign')).tickers).toEqual(['VOD.L']);
    expect(
      await metricValue(feature.url, 'mercato_feature_dropped_tickers_total', { reason: 'invalid_ticker' }),
    ).toBe(1);
    expect(feature.output()).toContain('"reason":"invalid_ticker"');
    expect(feature.output()).toContain(articleId);
  });
});
