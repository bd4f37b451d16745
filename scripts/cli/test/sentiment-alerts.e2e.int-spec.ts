// The market-risk desk's journey end to end on the real stack: ingest → feature → scoring →
// sentiment-monitor, with a model trained by the training service and served from the registry.
// A generated stream gives ticker A a burst of negative news while ticker B stays mixed: exactly
// one surge alert for A (with its evidence headlines), none for B, and every accepted article
// counted exactly once in the windows, even when the client sends batches twice.
import { Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = randomBytes(3).toString('hex');
const letters = (n: number): string =>
  Array.from(randomBytes(n), (b) => String.fromCharCode(65 + (b % 26))).join('');
const A = `Q${letters(3)}`;
const B = `Z${letters(3)}`;
const MODEL = `sentiment-e2e-${run}`;

let db: TestDatabase;
const services: Record<string, ServiceProcess> = {};

beforeAll(async () => {
  db = await createTestDatabase('e2e_sentiment');
  // New consumer groups start at the end of the shared topics: this journey sees only its own news.
  const kafka = testKafka();
  await startGroupAtEnd(kafka, `e2e-training-${run}`, [Topics.trainingRequests.name]);
  await startGroupAtEnd(kafka, `e2e-feature-${run}`, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, `e2e-scoring-${run}`, [Topics.newsEnriched.name, Topics.userFeatures.name]);
  await startGroupAtEnd(kafka, `e2e-monitor-${run}`, [Topics.newsScored.name]);
  const common = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'), LOG_LEVEL: 'warn' };
  services.registry = await startService('model-registry', { ...common, HTTP_PORT: '18284' });
  const shared = { ...common, MODEL_REGISTRY_URL: services.registry.url };
  const started = await Promise.all([
    startService('training', {
      ...shared,
      HTTP_PORT: '18283',
      KAFKA_CONSUMER_GROUP: `e2e-training-${run}`,
      FEATURE_URL: 'http://127.0.0.1:18282',
    }),
    startService('ingest', { ...shared, HTTP_PORT: '18281' }),
    startService('feature', { ...shared, HTTP_PORT: '18282', KAFKA_CONSUMER_GROUP: `e2e-feature-${run}` }),
    startService('scoring', {
      ...shared,
      HTTP_PORT: '18285',
      GRPC_PORT: '19285',
      SENTIMENT_MODEL_NAME: MODEL,
      KAFKA_CONSUMER_GROUP: `e2e-scoring-${run}`,
    }),
    startService('sentiment-monitor', {
      ...shared,
      HTTP_PORT: '18286',
      KAFKA_CONSUMER_GROUP: `e2e-monitor-${run}`,
      // The stream replays two hours of event time in seconds; partitions processed in parallel upstream
      // disorder it far more than live news would, and the allowed lateness covers that.
      ALLOWED_LATENESS: '3h',
      // A desk's rule: judge a window only once it holds enough articles to be more than noise.
      ALERT_RULES: JSON.stringify({ defaults: { minVolume: 25, minShare: 0.6, directions: ['negative'] } }),
    }),
  ]);
  [services.training, services.ingest, services.feature, services.scoring, services.monitor] = started;
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop()));
  await db?.drop();
});

const getJson = async (url: string): Promise<any> => {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return res.json();
};

describe('sentiment alerts end to end', () => {
  it('raises exactly one alert for the surging ticker, none for the mixed one, and counts every article once', async () => {
    // A first model, trained and promoted through the training service.
    const submit = await fetch(`${services.training!.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        modelName: MODEL,
        kind: 'sentiment',
        architecture: 'cnn',
        datasetRef: 'synthetic:news?seed=1&count=3000',
        hyperparameters: { epochs: 4, embeddingDim: 32, filters: 64, hidden: 32, maxLength: 24 },
        promoteIfBetter: true,
      }),
    });
    expect(submit.status).toBe(202);
    const { requestId } = (await submit.json()) as { requestId: string };
    const job = await eventually(
      async () => {
        const j = await getJson(`${services.training!.url}/v1/jobs/${requestId}`).catch(() => undefined);
        if (j?.status === 'failed') throw new Error(j.error);
        return j?.status === 'succeeded' ? j : undefined;
      },
      120_000,
      'the first model',
    );
    expect(job.promotion.outcome).toBe('promoted');
    await eventually(
      async () =>
        (await getJson(`${services.scoring!.url}/v1/models/current`)).sentiment.models.some(
          (m: { name: string; serving: unknown }) => m.name === MODEL && m.serving,
        )
          ? true
          : undefined,
      60_000,
      'scoring to load the model',
    );

    // Two hours of event time; A gets a negative burst in the last quarter hour, B stays mixed.
    const count = 2400;
    const spacingMs = 3_000;
    const news = generateNews({
      seed: 77,
      count,
      start: new Date(Date.now() - count * spacingMs),
      spacingMs,
      tickers: [A, B],
      surges: [{ ticker: A, from: count - 300, to: count, negativeShare: 0.95, share: 0.7 }],
    });
    const articles = news.map((a) => ({
      id: `e2e-${run}-${a.id}`,
      source: a.source,
      published_at: a.published_at,
      headline: a.headline,
      body: `${a.headline} (${run} ${a.id})`,
      language: 'en',
    }));
    const accepted = new Map<string, number>([
      [A, 0],
      [B, 0],
    ]);
    const counted = async (ticker: string): Promise<number> =>
      (await getJson(`${services.monitor!.url}/v1/tickers/${ticker}/sentiment?window=5m&limit=5000`)).totals
        .counted as number;
    for (let i = 0; i < articles.length; i += 200) {
      const batch = articles.slice(i, i + 200);
      for (let attempt = 0; attempt < 2; attempt++) {
        // Every batch is sent twice, as a client retrying after a timeout would.
        const res = await fetch(`${services.ingest!.url}/v1/news`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ articles: batch }),
        });
        expect(res.status).toBe(202);
        const body = (await res.json()) as {
          accepted: number;
          duplicate: number;
          results: { index: number; status: string }[];
        };
        if (attempt === 0) {
          expect(body.accepted).toBe(batch.length);
          for (const r of body.results) {
            const ticker = news[i + r.index]!.tickers[0]!;
            accepted.set(ticker, (accepted.get(ticker) ?? 0) + 1);
          }
        } else {
          expect(body.duplicate).toBe(batch.length);
        }
      }
      // Batches arrive as news does, roughly in event time: each is counted before the next is sent.
      // (Sent back to back, upstream partitions reorder two hours of event time, and evidence from
      // the surge can complete an alert in an early window whose late article arrived after it.)
      const sent = (accepted.get(A) ?? 0) + (accepted.get(B) ?? 0);
      await eventually(
        async () => ((await counted(A)) + (await counted(B)) === sent ? true : undefined),
        120_000,
        `the first ${sent} articles counted`,
      );
    }

    let progress = '';
    await eventually(
      async () => {
        const [a, b] = [await counted(A), await counted(B)];
        progress = `counted ${A}=${a}/${accepted.get(A)} ${B}=${b}/${accepted.get(B)}`;
        return a === accepted.get(A) && b === accepted.get(B) ? true : undefined;
      },
      180_000,
      'every article counted',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${progress}`);
    });
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await counted(A)).toBe(accepted.get(A));
    expect(await counted(B)).toBe(accepted.get(B));

    const alertsFor = async (ticker: string): Promise<any[]> =>
      (await getJson(`${services.monitor!.url}/v1/alerts?ticker=${ticker}&limit=100`)).items;
    const aAlerts = await eventually(
      async () => {
        const items = await alertsFor(A);
        return items.length > 0 ? items : undefined;
      },
      30_000,
      `an alert for ${A}`,
    );
    const surges = aAlerts.filter((a) => a.upgradeOf === null);
    expect(
      surges,
      JSON.stringify(aAlerts.map((a) => [a.window, a.direction, a.severity, a.share, a.volume, a.upgradeOf])),
    ).toHaveLength(1);
    expect(
      aAlerts.every(
        (a) => a.direction === 'negative' && (a.upgradeOf === null || a.upgradeOf === surges[0].alertId),
      ),
    ).toBe(true);
    const alert = surges[0];
    expect(alert.share).toBeGreaterThan(0.5);
    expect(alert.evidence.length).toBeGreaterThan(0);
    for (const e of alert.evidence) {
      expect(e.headline).toContain(A);
      expect(e.articleId).toMatch(new RegExp(`^e2e-${run}-`));
    }
    expect(alert.modelVersions.join(',')).toContain(String(job.version));
    expect(await alertsFor(B)).toEqual([]);
  }, 420_000);
});
