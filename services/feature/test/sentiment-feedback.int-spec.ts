// Sentiment feedback in the feature service, a real process on the real broker and its own database,
// with API keys (AUTH_MODE=required): an analyst corrects the label of an article of their tenant
// (stored with who and when, its normalized text copied), or of a text; another tenant's article and
// an unknown one are 404, a label outside the classes is 400, a key without sentiment:feedback is
// 403. The training export gives the latest label of each distinct text as of a point in time.
// Corrections that say what the model had said make the tenant's feedback disagreement rate: a
// gauge and a ModelMonitoring event on models.monitoring.v1, drifted once a full window disagrees.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ModelKind, Topics } from '@mercato/contracts';
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
import { EventProducer } from '@mercato/kafka';
import { bearer, followTopic, metricValue, testKeys, type TestKeys } from '@mercato/testing';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kafka = testKafka();
const suffix = uniqueSuffix();
const prefix = `fb-${suffix}-`;
const A = `fa${suffix}`;
const B = `fb${suffix}`;
const C = `fc${suffix}`;

let db: TestDatabase;
let feature: ServiceProcess;
let producer: EventProducer;
let keys: TestKeys;
let analystA: Record<string, string>;
let analystB: Record<string, string>;
let readerA: Record<string, string>;
let analystKeyId: string;

const post = (headers: Record<string, string>, body: unknown) =>
  fetch(`${feature.url}/v1/sentiment/feedback`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function exported(headers: Record<string, string>, asOf?: string): Promise<any[]> {
  const res = await fetch(
    `${feature.url}/v1/datasets/sentiment-feedback${asOf ? `?as_of=${encodeURIComponent(asOf)}` : ''}`,
    { headers },
  );
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(async () => {
  db = await createTestDatabase('feature_feedback');
  const group = `test-feature-feedback-${suffix}`;
  await startGroupAtEnd(kafka, group, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  keys = await testKeys(db.url);
  const analyst = await keys.create({ tenantId: A, scopes: ['sentiment:feedback', 'datasets:read'] });
  analystKeyId = analyst.record.id;
  analystA = bearer(analyst.token);
  analystB = bearer((await keys.create({ tenantId: B, scopes: ['sentiment:feedback'] })).token);
  readerA = bearer((await keys.create({ tenantId: A, scopes: ['datasets:read'] })).token);
  feature = await startService('feature', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    KAFKA_CONSUMER_GROUP: group,
    HTTP_PORT: String(await freePort()),
    AUTH_MODE: 'required',
    FEEDBACK_DISAGREEMENT_WINDOW: '4',
    FEEDBACK_DISAGREEMENT_THRESHOLD: '0.5',
  });
  producer = new EventProducer(kafka);
  await producer.connect();
  const published = timestampFromDate(new Date(Date.now() - 3_600_000));
  await producer.send(
    Topics.newsRaw,
    [
      { articleId: `${prefix}a1`, tenantId: A, headline: 'Acme  beats estimates', body: 'Shares jump.' },
      { articleId: `${prefix}a2`, tenantId: A, headline: 'Acme beats estimates', body: 'Shares jump.' },
      { articleId: `${prefix}b1`, tenantId: B, headline: 'Beta cuts guidance', body: 'Shares fall.' },
    ].map((a) => ({
      key: a.articleId,
      eventId: randomUUID(),
      value: { ...a, source: 'newswire', publishedAt: published, contentHash: `${a.articleId}-hash` },
    })),
  );
  // The articles are in the store once enriched.
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    await eventually(
      async () => {
        const { rows } = await sql.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM feature.article_feature_keys WHERE article_id LIKE $1',
          [`${prefix}%`],
        );
        return rows[0]?.n === 3 ? true : undefined;
      },
      60_000,
      'the articles to be enriched and stored',
    );
  } finally {
    await sql.end();
  }
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await feature?.stop();
  await keys?.close();
  await db?.drop();
});

describe('POST /v1/sentiment/feedback', () => {
  it("stores a correction of the tenant's article with who and when, and exports the latest label per text", async () => {
    const before = new Date().toISOString();
    const res = await post(analystA, { articleId: `${prefix}a1`, label: 'negative' });
    expect(res.status).toBe(201);
    const stored: any = await res.json();
    expect(stored).toMatchObject({
      articleId: `${prefix}a1`,
      text: 'Acme beats estimates\nShares jump.',
      label: 'negative',
      submittedBy: `key:${analystKeyId}`,
    });
    expect(Date.parse(stored.submittedAt)).toBeGreaterThanOrEqual(Date.parse(before));

    // Corrected again (positive), and the same story under another id: one training example, the latest label.
    expect((await post(analystA, { articleId: `${prefix}a1`, label: 'positive' })).status).toBe(201);
    expect((await post(analystA, { articleId: `${prefix}a2`, label: 'neutral' })).status).toBe(201);
    expect((await post(analystA, { text: 'Gamma  files for bankruptcy', label: 'negative' })).status).toBe(
      201,
    );
    const rows = await exported(readerA);
    expect(rows).toHaveLength(2);
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          text: 'Acme beats estimates\nShares jump.',
          label: 'neutral',
          article_id: `${prefix}a2`,
          corrections: 3,
        }),
        expect.objectContaining({ text: 'Gamma files for bankruptcy', label: 'negative', article_id: null }),
      ]),
    );
    // Point in time: as of before the first correction, nothing.
    expect(await exported(readerA, before)).toEqual([]);
    // Tenant B sees none of A's feedback.
    expect(
      await exported(bearer((await keys.create({ tenantId: B, scopes: ['datasets:read'] })).token)),
    ).toEqual([]);
  });

  it("answers 404 for an unknown article and for another tenant's, 400 for a label outside the classes", async () => {
    const unknown = await post(analystA, { articleId: `${prefix}nope`, label: 'negative' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ errors: [{ field: 'articleId' }] });
    const foreign = await post(analystA, { articleId: `${prefix}b1`, label: 'negative' });
    expect(foreign.status).toBe(404);
    // B can correct its own article.
    expect((await post(analystB, { articleId: `${prefix}b1`, label: 'negative' })).status).toBe(201);

    const badLabel = await post(analystA, { articleId: `${prefix}a1`, label: 'bullish' });
    expect(badLabel.status).toBe(400);
    const body: any = await badLabel.json();
    expect(body.errors).toEqual([
      expect.objectContaining({
        field: 'label',
        reason: expect.stringContaining('negative, neutral, positive'),
      }),
    ]);
    const both = await post(analystA, { articleId: `${prefix}a1`, text: 'x', label: 'neutral' });
    expect(both.status).toBe(400);
    const neither = await post(analystA, { label: 'neutral' });
    expect(neither.status).toBe(400);
    expect(((await neither.json()) as any).errors[0].field).toBe('articleId');
  });

  it('needs the sentiment:feedback scope', async () => {
    const res = await post(readerA, { articleId: `${prefix}a1`, label: 'neutral' });
    expect(res.status).toBe(403);
  });

  it("measures the tenant's feedback disagreement from corrections that say what the model had said", async () => {
    const analystC = bearer((await keys.create({ tenantId: C, scopes: ['sentiment:feedback'] })).token);
    const { values: events, stop } = await followTopic(
      kafka,
      Topics.modelMonitoring,
      (e) => e.tenantId === C,
    );
    try {
      const served = (label: string) => ({ label, model: 'sentiment', version: 3 });
      // Without `served` a correction does not count: it says nothing of what the model said.
      expect((await post(analystC, { text: 'Delta wins a contract', label: 'positive' })).status).toBe(201);
      const first = await post(analystC, {
        text: 'Delta recalls a product',
        label: 'negative',
        served: served('positive'),
      });
      expect(first.status).toBe(201);
      expect(await first.json()).toMatchObject({ served: served('positive') });
      for (const [text, label, said] of [
        ['Delta holds its meeting', 'neutral', 'neutral'],
        ['Delta cuts jobs', 'negative', 'neutral'],
        ['Delta misses estimates', 'negative', 'positive'],
      ] as const)
        expect((await post(analystC, { text, label, served: served(said) })).status).toBe(201);
      const all = await eventually(
        async () => (events.length === 4 ? events : undefined),
        30_000,
        'one event per correction that says what the model said',
      );
      expect(all.map((e) => [e.sample, e.figures.feedback_disagreement, e.drifted])).toEqual([
        [1, 1, []],
        [2, 0.5, []],
        [3, 2 / 3, []],
        // The window (4) is full and 3 of 4 disagree (at or above 0.5): drifted.
        [4, 0.75, ['feedback_disagreement']],
      ]);
      expect(all[3]).toMatchObject({
        modelName: 'sentiment',
        version: '3',
        kind: ModelKind.SENTIMENT,
        threshold: 0.5,
      });
      expect(
        await metricValue(feature.url, 'mercato_feature_sentiment_feedback_disagreement', {
          tenant: C,
          model: 'sentiment',
        }),
      ).toBe(0.75);

      const bad = await post(analystC, {
        text: 'Delta',
        label: 'neutral',
        served: { label: 'bullish', model: 'sentiment', version: 0 },
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as any).errors.map((e: any) => e.field).sort()).toEqual([
        'served.label',
        'served.version',
      ]);
    } finally {
      await stop();
    }
  });
});
