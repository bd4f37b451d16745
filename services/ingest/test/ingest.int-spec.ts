// The ingest service as a client uses it, on the real broker and a fresh database: accepted articles
// are on news.raw.v1 exactly once, duplicates (same id, same content, in the batch, concurrent) are
// not republished, every malformed request gets its 4xx with reasons and publishes nothing, a 10 MB
// request is refused without harm, interactions carry only pseudonyms (the planted raw user id is in
// no topic byte, table or log line), catalog items are published, and a lost database means 503.
import { fromBinary } from '@bufbuild/protobuf';
import {
  CatalogItemSchema,
  InteractionSchema,
  InteractionType,
  NewsArticleSchema,
  Topics,
  catalogItemKey,
} from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  spawnService,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import { createHash, createHmac } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from './raw-http';
import { TopicTap } from './topic-tap';

const KEY = `ingest-int-spec-key-${'x'.repeat(32)}`;
const RUN = uniqueSuffix();
const SOURCE = `int-spec-${RUN}`;
const MAX_BATCH = 100;

const kafka = testKafka();
let db: TestDatabase;
let ingest: ServiceProcess;
let news: TopicTap;
let interactions: TopicTap;
let catalog: TopicTap;

const freePort = async (): Promise<string> => String(await freeTcpPort());

async function send(
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${ingest.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const postNews = (articles: unknown[]) => send('POST', '/v1/news', { articles });

let n = 0;
function article(overrides: Record<string, unknown> = {}) {
  n++;
  return {
    id: `${RUN}-a${n}`,
    source: SOURCE,
    published_at: new Date(Date.now() - 60_000).toISOString(),
    headline: `Run ${RUN}: company ${n} raises guidance`,
    body: `Story ${n} of run ${RUN}. Shares rose in early trading.`,
    tickers: ['ACME'],
    language: 'en',
    ...overrides,
  };
}

async function query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

const decodeNews = (key: string) =>
  news.withKey(key).map((r) => fromBinary(NewsArticleSchema, r.value as Buffer));

beforeAll(async () => {
  db = await createTestDatabase('ingest');
  [news, interactions, catalog] = await Promise.all([
    TopicTap.open(kafka, Topics.newsRaw.name),
    TopicTap.open(kafka, Topics.interactionsRaw.name),
    TopicTap.open(kafka, Topics.catalogItems.name),
  ]);
  ingest = await startService('ingest', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    HTTP_PORT: await freePort(),
    PSEUDONYMIZATION_KEY: KEY,
    INGEST_MAX_BATCH: String(MAX_BATCH),
    INGEST_DEDUPE_CLEANUP_INTERVAL_S: '1',
    LOG_LEVEL: 'debug',
  });
}, 120_000);

afterAll(async () => {
  await ingest?.stop();
  await Promise.all([news?.close(), interactions?.close(), catalog?.close()]);
  await db?.drop();
});

describe('POST /v1/news', () => {
  it('publishes accepted articles exactly once and answers duplicates and rejects per record', async () => {
    const a = article();
    const b = article({
      tickers: ['BRK.B', 'ACME', 'BRK.B'],
      published_at: '2025-01-02T03:04:05.123456789+01:00',
    });
    const sameId = { ...a, headline: `${a.headline} (updated)` };
    const sameContent = {
      ...article(),
      headline: `  ${a.headline.toUpperCase()} `,
      body: a.body.replace(/ /g, '  '),
    };
    const bad = article({ sentiment: 'positive' });
    const first = await postNews([a, b, sameId, sameContent, bad]);
    expect(first.status).toBe(202);
    expect(first.body).toEqual({
      accepted: 2,
      duplicate: 2,
      rejected: 1,
      results: [
        { index: 0, id: a.id, status: 'accepted' },
        { index: 1, id: b.id, status: 'accepted' },
        {
          index: 2,
          id: a.id,
          status: 'duplicate',
          reason: 'an article with this source and id was already received',
        },
        {
          index: 3,
          id: sameContent.id,
          status: 'duplicate',
          reason: 'an article with the same headline and body was already received',
        },
        {
          index: 4,
          id: bad.id,
          status: 'rejected',
          errors: [{ field: 'sentiment', reason: 'unknown field' }],
        },
      ],
    });

    // The same batch again (a client retry): nothing new.
    const retry = await postNews([a, b, sameId, sameContent, bad]);
    expect(retry.body).toMatchObject({ accepted: 0, duplicate: 4, rejected: 1 });

    await news.caughtUp();
    expect(news.withKey(a.id)).toHaveLength(1);
    expect(news.withKey(b.id)).toHaveLength(1);
    expect(news.withKey(sameContent.id)).toHaveLength(0);
    expect(news.withKey(bad.id)).toHaveLength(0);

    const [published] = decodeNews(a.id);
    const normalized = `${a.headline} ${a.body}`.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
    expect(published).toMatchObject({
      tenantId: 'default',
      articleId: a.id,
      source: SOURCE,
      headline: a.headline,
      body: a.body,
      tickers: ['ACME'],
      language: 'en',
      contentHash: createHash('sha256').update(normalized).digest('hex'),
    });
    expect(published?.publishedAt).toMatchObject({
      seconds: BigInt(Math.floor(Date.parse(a.published_at) / 1000)),
      nanos: (Date.parse(a.published_at) % 1000) * 1_000_000,
    });
    expect(Math.abs(Number(published?.receivedAt?.seconds) * 1000 - Date.now())).toBeLessThan(60_000);
    const [bRecord] = decodeNews(b.id);
    expect(bRecord?.tickers).toEqual(['BRK.B', 'ACME']);
    expect(bRecord?.publishedAt).toMatchObject({
      seconds: BigInt(Date.parse('2025-01-02T02:04:05Z') / 1000),
      nanos: 123_456_789,
    });

    const headers = news.withKey(a.id)[0]?.headers;
    expect(headers?.['event-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(headers?.schema).toBe('mercato.news.v1.NewsArticle');
    expect(headers?.['tenant-id']).toBe('default');

    // Only published articles hold dedupe keys: the content duplicate's id was released.
    const ids = await query<{ article_id: string }>(
      'SELECT article_id FROM ingest.article_keys WHERE source = $1 ORDER BY article_id',
      [SOURCE],
    );
    expect(ids.map((r) => r.article_id)).toEqual([a.id, b.id].sort());
  });

  it('treats repeats inside one batch as duplicates', async () => {
    const a = article();
    const copy = { ...article(), headline: a.headline, body: a.body };
    const res = await postNews([a, a, copy]);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      'accepted',
      'duplicate',
      'duplicate',
    ]);
    await news.caughtUp();
    expect(news.withKey(a.id)).toHaveLength(1);
    expect(news.withKey(copy.id)).toHaveLength(0);
  });

  it('accepts an article once when the same batch arrives on several connections at once', async () => {
    const a = article();
    const answers = await Promise.all(Array.from({ length: 6 }, () => postNews([a])));
    const statuses = answers.map((r) => r.body.results[0].status).sort();
    expect(statuses).toEqual(['accepted', 'duplicate', 'duplicate', 'duplicate', 'duplicate', 'duplicate']);
    await news.caughtUp();
    expect(news.withKey(a.id)).toHaveLength(1);
  });

  it('forgets keys older than the window: they are cleaned up and the article is accepted again', async () => {
    const a = article();
    expect((await postNews([a])).body.accepted).toBe(1);
    await query(
      `UPDATE ingest.article_keys SET seen_at = now() - interval '73 hours' WHERE source = $1 AND article_id = $2`,
      [SOURCE, a.id],
    );
    await query(
      `UPDATE ingest.content_keys SET seen_at = now() - interval '73 hours' WHERE content_hash = $1`,
      [
        createHash('sha256')
          .update(`${a.headline} ${a.body}`.toLowerCase().replace(/\s+/g, ' ').trim())
          .digest('hex'),
      ],
    );
    await eventually(
      async () => {
        const rows = await query('SELECT 1 FROM ingest.article_keys WHERE source = $1 AND article_id = $2', [
          SOURCE,
          a.id,
        ]);
        return rows.length === 0 ? true : undefined;
      },
      15_000,
      'the cleanup to delete the expired key',
    );
    expect((await postNews([a])).body.accepted).toBe(1);
    await news.caughtUp();
    const copies = news.withKey(a.id);
    expect(copies).toHaveLength(2);
    // The same event id both times: a consumer that still remembers the first one drops the second.
    expect(copies[0]?.headers['event-id']).toBe(copies[1]?.headers['event-id']);
  });

  it('rejects bad records with every reason and publishes nothing of them', async () => {
    const records = [
      article({ published_at: new Date(Date.now() + 3_600_000).toISOString() }),
      article({ published_at: '1989-06-01T00:00:00Z' }),
      article({ published_at: '2024-06-01T00:00:00' }),
      article({ headline: '' }),
      article({ headline: 'lone \ud800 surrogate' }),
      article({ headline: 'replacement \ufffd char' }),
      article({ body: 'b'.repeat(100_001) }),
      article({ tickers: ['not a ticker'] }),
      article({ language: 'english' }),
      article({ id: 'i'.repeat(201) }),
      { source: SOURCE, headline: 'no id' },
      'not an object',
    ];
    const res = await postNews(records);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 0, duplicate: 0, rejected: records.length });
    const firstError = (i: number) => res.body.results[i].errors[0];
    expect(firstError(0)).toEqual({ field: 'published_at', reason: 'is more than 300 s in the future' });
    expect(firstError(1)).toEqual({ field: 'published_at', reason: 'is before 1990-01-01' });
    expect(firstError(2).reason).toMatch(/time zone/);
    expect(firstError(3)).toEqual({ field: 'headline', reason: 'must not be empty' });
    expect(firstError(4).reason).toMatch(/unpaired UTF-16 surrogate/);
    expect(firstError(5).reason).toMatch(/U\+FFFD/);
    expect(firstError(6)).toEqual({
      field: 'body',
      reason: 'must be at most 100000 characters (got 100001)',
    });
    expect(firstError(7).field).toBe('tickers[0]');
    expect(firstError(8).field).toBe('language');
    expect(firstError(9).field).toBe('id');
    expect(res.body.results[10].errors).toEqual([
      { field: 'id', reason: 'is required' },
      { field: 'published_at', reason: 'is required' },
    ]);
    expect(res.body.results[11]).toEqual({
      index: 11,
      id: null,
      status: 'rejected',
      errors: [{ field: '(record)', reason: 'expected a JSON object' }],
    });
    await news.caughtUp();
    for (const r of records)
      if (typeof r === 'object' && 'id' in r) expect(news.withKey(String(r.id))).toHaveLength(0);
  });

  it('refuses malformed requests as a whole with the right status and reason', async () => {
    const url = `${ingest.url}/v1/news`;
    const json = { 'content-type': 'application/json' };
    const marker = article();
    const cases: [string, Parameters<typeof rawRequest>[1], number, string, RegExp][] = [
      [
        'malformed JSON',
        { headers: json, body: Buffer.from('{"articles": [') },
        400,
        'malformed_json',
        /not valid JSON/,
      ],
      [
        'a bare array',
        { headers: json, body: Buffer.from(JSON.stringify([marker])) },
        400,
        'invalid_request',
        /expected a JSON object/,
      ],
      [
        'a string',
        { headers: json, body: Buffer.from('"articles"') },
        400,
        'invalid_request',
        /expected a JSON object/,
      ],
      [
        'an empty batch',
        { headers: json, body: Buffer.from('{"articles": []}') },
        400,
        'invalid_request',
        /at least one/,
      ],
      [
        'too many records',
        {
          headers: json,
          body: Buffer.from(
            JSON.stringify({ articles: Array.from({ length: MAX_BATCH + 1 }, () => marker) }),
          ),
        },
        413,
        'batch_too_large',
        /101 records; at most 100/,
      ],
      [
        'text/plain',
        {
          headers: { 'content-type': 'text/plain' },
          body: Buffer.from(JSON.stringify({ articles: [marker] })),
        },
        415,
        'unsupported_media_type',
        /expected application\/json/,
      ],
      [
        'a form',
        { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('a=b') },
        415,
        'unsupported_media_type',
        /application\/json/,
      ],
      [
        'XML',
        { headers: { 'content-type': 'application/xml' }, body: Buffer.from('<a/>') },
        415,
        'unsupported_media_type',
        /application\/xml/,
      ],
      [
        'Latin-1 JSON',
        { headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: Buffer.from('{}') },
        415,
        'unsupported_media_type',
        /charset=iso-8859-1/,
      ],
      [
        'invalid UTF-8',
        {
          headers: json,
          body: Buffer.concat([
            Buffer.from(JSON.stringify({ articles: [{ ...marker, headline: 'Z' }] }).replace('"Z"', '"Z')),
            Buffer.from([0xfc]),
            Buffer.from('rich"}]}'),
          ]),
        },
        400,
        'invalid_encoding',
        /not valid UTF-8: invalid byte 0xfc at offset \d+/,
      ],
    ];
    for (const [what, request, status, error, reason] of cases) {
      const res = await rawRequest(url, request);
      expect({ what, status: res.status, error: res.body.error }).toEqual({ what, status, error });
      expect(res.body.errors[0].reason).toMatch(reason);
      expect(res.body.message).toBeTypeOf('string');
    }
    await news.caughtUp();
    expect(news.withKey(marker.id)).toHaveLength(0);
  });

  it('answers 413 to a 10 MB request, with or without a length, and stays up', async () => {
    const big = Buffer.from(JSON.stringify({ articles: [article({ body: 'x'.repeat(10 * 1024 * 1024) })] }));
    const sized = await rawRequest(`${ingest.url}/v1/news`, {
      headers: { 'content-type': 'application/json', 'content-length': String(big.length) },
      body: big,
    });
    expect(sized.status).toBe(413);
    expect(sized.body).toMatchObject({ error: 'body_too_large', limit: 5 * 1024 * 1024 });
    const chunks = Array.from({ length: 160 }, (_, i) => big.subarray(i * 65_536, (i + 1) * 65_536));
    const chunked = await rawRequest(`${ingest.url}/v1/news`, {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: chunks,
    });
    expect(chunked.status).toBe(413);
    const viaFetch = await fetch(`${ingest.url}/v1/news`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: big,
    });
    expect(viaFetch.status).toBe(413);
    expect(ingest.child.exitCode).toBeNull();
    expect((await fetch(`${ingest.url}/healthz/ready`)).status).toBe(200);
    const after = article();
    expect((await postNews([after])).body.accepted).toBe(1);
  });
});

describe('POST /v1/interactions', () => {
  const rawUser = `planted.user.${RUN}@bank.example`;
  // The service runs as the default tenant (development auth): the pseudonym covers tenant and id.
  const pseudonym = createHmac('sha256', KEY).update(`default\u0000${rawUser}`).digest('hex');

  it('publishes pseudonyms only, keyed by pseudonym, with retry-stable event ids', async () => {
    const at = new Date(Date.now() - 5_000).toISOString();
    const batch = [
      { user_id: rawUser, item_id: `sku-${RUN}-1`, type: 'view', timestamp: at },
      { user_id: rawUser, item_id: `sku-${RUN}-1`, type: 'rating', value: 4.5, timestamp: at },
      { user_id: rawUser, item_id: `sku-${RUN}-2`, type: 'rating', timestamp: at },
      { user_id: rawUser, item_id: `sku-${RUN}-3`, type: 'purchase', timestamp: at, email: rawUser },
    ];
    const res = await send('POST', '/v1/interactions', { interactions: batch });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: 2, duplicate: 0, rejected: 2 });
    expect(res.body.results[2].errors).toEqual([{ field: 'value', reason: 'is required for type rating' }]);
    expect(res.body.results[3]).toEqual({
      index: 3,
      id: null,
      status: 'rejected',
      errors: [{ field: 'email', reason: 'unknown field' }],
    });
    expect(JSON.stringify(res.body)).not.toContain(rawUser);

    const retry = await send('POST', '/v1/interactions', { interactions: batch.slice(0, 2) });
    expect(retry.body.results.map((r: { id: string }) => r.id)).toEqual(
      res.body.results.slice(0, 2).map((r: { id: string }) => r.id),
    );

    await interactions.caughtUp();
    const mine = interactions.withKey(pseudonym);
    expect(mine).toHaveLength(4);
    const values = mine.map((r) => fromBinary(InteractionSchema, r.value as Buffer));
    expect(values.map((v) => [v.userId, v.itemId, v.type, v.value])).toEqual([
      [pseudonym, `sku-${RUN}-1`, InteractionType.VIEW, 1],
      [pseudonym, `sku-${RUN}-1`, InteractionType.RATING, 4.5],
      [pseudonym, `sku-${RUN}-1`, InteractionType.VIEW, 1],
      [pseudonym, `sku-${RUN}-1`, InteractionType.RATING, 4.5],
    ]);
    expect(mine[0]?.headers['event-id']).toBe(res.body.results[0].id);
    expect(mine[2]?.headers['event-id']).toBe(mine[0]?.headers['event-id']);
    expect(values[0]?.interactionId).toBe(res.body.results[0].id);

    // The raw id is in no byte of any record written to the topic while this spec ran …
    expect(interactions.records.filter((r) => r.bytes.includes(rawUser))).toHaveLength(0);
    expect(interactions.records.filter((r) => r.bytes.includes(pseudonym)).length).toBeGreaterThan(0);
    // … in no row of the ingest schema …
    const tables = await query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'ingest'`,
    );
    expect(tables.length).toBeGreaterThan(0);
    for (const { table_name } of tables) {
      const rows = await query<{ row: string }>(
        `SELECT to_jsonb(t)::text AS row FROM ingest.${table_name} t`,
      );
      expect(rows.filter((r) => r.row.includes(rawUser))).toEqual([]);
    }
    // … and in no log line.
    expect(ingest.output()).not.toContain(rawUser);
  });
});

describe('PUT /v1/catalog/items', () => {
  it('publishes items keyed by tenant and item id with their full state', async () => {
    const id = `sku-${RUN}-cat`;
    const res = await send('PUT', '/v1/catalog/items', {
      items: [
        {
          item_id: id,
          title: 'Kettle',
          description: 'Steel',
          categories: ['kitchen'],
          price: 29.5,
          available: false,
        },
        { item_id: `${id}-bad`, title: 'Free money', price: -1 },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.results).toEqual([
      { index: 0, id, status: 'accepted' },
      {
        index: 1,
        id: `${id}-bad`,
        status: 'rejected',
        errors: [{ field: 'price', reason: 'must not be negative' }],
      },
    ]);
    await catalog.caughtUp();
    const [item] = catalog
      .withKey(catalogItemKey('default', id))
      .map((r) => fromBinary(CatalogItemSchema, r.value as Buffer));
    expect(item).toMatchObject({
      itemId: id,
      title: 'Kettle',
      description: 'Steel',
      categories: ['kitchen'],
      price: 29.5,
      available: false,
    });
    expect(catalog.withKey(catalogItemKey('default', `${id}-bad`))).toHaveLength(0);
    expect((await fetch(`${ingest.url}/v1/catalog/items`, { method: 'POST' })).status).toBe(404);
  });
});

describe('documents and metrics', () => {
  it('serves the OpenAPI document', async () => {
    const doc = (await (await fetch(`${ingest.url}/v1/openapi.json`)).json()) as any;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/news', '/v1/interactions', '/v1/catalog/items']),
    );
    const newsBody = doc.paths['/v1/news'].post.requestBody.content['application/json'].schema;
    expect(newsBody.properties.articles.items.required).toEqual(['id', 'source', 'published_at', 'headline']);
    expect(Object.keys(doc.paths['/v1/news'].post.responses)).toEqual(
      expect.arrayContaining(['202', '400', '413', '415', '503']),
    );
    expect(doc.paths['/v1/catalog/items'].put).toBeDefined();
  });

  it('counts records by endpoint and outcome, refused requests and publish latency', async () => {
    const metrics = await (await fetch(`${ingest.url}/metrics`)).text();
    expect(metrics).toMatch(
      /mercato_ingest_records_total\{endpoint="news",outcome="accepted",service="mercato-ingest"\} \d+/,
    );
    expect(metrics).toMatch(/mercato_ingest_records_total\{endpoint="news",outcome="duplicate"/);
    expect(metrics).toMatch(/mercato_ingest_records_total\{endpoint="interactions",outcome="rejected"/);
    expect(metrics).toMatch(/mercato_ingest_requests_failed_total\{endpoint="news",status="413"/);
    expect(metrics).toMatch(/mercato_ingest_publish_seconds_count\{[^}]*topic="news.raw.v1"\} [1-9]/);
  });
});

describe('when it cannot store a batch', () => {
  it('answers 503 and publishes nothing while its database is gone', async () => {
    const lost = await createTestDatabase('ingest_lost');
    const svc = await startService('ingest', {
      DATABASE_URL: lost.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      HTTP_PORT: await freePort(),
      PSEUDONYMIZATION_KEY: KEY,
    });
    try {
      await lost.drop();
      const a = article();
      const res = await fetch(`${svc.url}/v1/news`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ articles: [a] }),
      });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(await res.json()).toMatchObject({ error: 'unavailable', retryable: true });
      await news.caughtUp();
      expect(news.withKey(a.id)).toHaveLength(0);
    } finally {
      await svc.stop();
    }
  });

  it('refuses to start in production without a pseudonymization key', async () => {
    const svc = spawnService('ingest', {
      NODE_ENV: 'production',
      PSEUDONYMIZATION_KEY: '',
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      HTTP_PORT: await freePort(),
    });
    expect(await svc.exited).toBe(78);
    expect(svc.output()).toMatch(/PSEUDONYMIZATION_KEY: required when NODE_ENV=production/);
  });
});
