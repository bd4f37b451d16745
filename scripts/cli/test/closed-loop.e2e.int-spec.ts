// The sentiment loop closed without an operator (issue 16), on the real stack: ingest, feature,
// training, model-registry and scoring as processes on one fresh database and the shared broker,
// every consumer group started at the end of the shared topics, one tenant of this run's own. A
// first model is trained and promoted; then the tenant's news shifts (words the model never saw,
// another label mix) and analysts correct the labels of such headlines. Nobody runs a command: scoring
// sees the model's predictions drift from its evaluation and says so on models.monitoring.v1,
// training retrains the production version's recipe with the corrections joined, the challenger is
// judged against production on the same held-out data (the corrections' held-out part included),
// wins, is promoted, and scoring swaps to it. (The challenger that loses: services/training/test/
// drift-retrain.int-spec.ts.)
import {
  createTestDatabase,
  eventually,
  freePort as freeTcpPort,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { Topics } from '@mercato/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUN = uniqueSuffix();
const TENANT = `loop${RUN}`;
const MODEL = `sentiment-loop-${RUN}`;
const TICKER = `Q${RUN.replace(/[^a-z]/g, '')
  .slice(0, 3)
  .toUpperCase()
  .padEnd(3, 'X')}`;
const DRIFT_WINDOW = 120;

type Name = 'model-registry' | 'feature' | 'training' | 'ingest' | 'scoring';
const services = {} as Record<Name, ServiceProcess>;
let db: TestDatabase;

const freePort = async (): Promise<string> => String(await freeTcpPort());

async function call(service: Name, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${services[service].url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

async function succeeded(requestId: string, timeoutMs = 180_000): Promise<any> {
  return eventually(
    async () => {
      const res = await fetch(`${services.training.url}/v1/jobs/${requestId}`);
      if (res.status === 404) return undefined;
      const j: any = await res.json();
      if (j.status === 'failed') throw new Error(`job ${requestId} failed: ${j.error}`);
      return j.status === 'succeeded' ? j : undefined;
    },
    timeoutMs,
    `job ${requestId}`,
  );
}

/** The version of the tenant's model scoring serves. */
async function serving(): Promise<number | undefined> {
  const res = await fetch(`${services.scoring.url}/v1/models/current`, {
    headers: { 'x-mercato-tenant': TENANT },
  });
  if (!res.ok) return undefined;
  const body: any = await res.json();
  return body.sentiment.models.find((m: any) => m.owner === TENANT && m.name === MODEL)?.serving?.version;
}

// The shift: companies and verbs the synthetic training news never uses, with a label mix of its own.
const COMPANIES = ['Zentrix', 'Quorvel', 'Brannock', 'Velmora', 'Tessaly', 'Orvane', 'Kindrel', 'Maltric'];
const NEGATIVE = ['implodes', 'flounders', 'hemorrhages', 'capsizes', 'unravels', 'crumbles'];
const POSITIVE = ['skyrockets', 'flourishes', 'triumphs', 'blossoms', 'dazzles', 'thrives'];
const shifted = [
  ...COMPANIES.flatMap((c) =>
    NEGATIVE.map((w) => ({ text: `${c} ${w} amid zorbic glimmax turmoil`, label: 'negative' })),
  ),
  ...COMPANIES.flatMap((c) =>
    POSITIVE.map((w) => ({ text: `${c} ${w} on vexxon flarp boom`, label: 'positive' })),
  ),
];

beforeAll(async () => {
  db = await createTestDatabase('e2e_loop');
  const kafka = testKafka();
  const groups = {
    feature: `e2e-loop-feature-${RUN}`,
    training: `e2e-loop-training-${RUN}`,
    scoring: `e2e-loop-scoring-${RUN}`,
  };
  await startGroupAtEnd(kafka, groups.feature, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, groups.training, [Topics.trainingRequests.name, Topics.modelMonitoring.name]);
  await startGroupAtEnd(kafka, groups.scoring, [Topics.newsEnriched.name, Topics.userFeatures.name]);
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    TENANT_ID: TENANT,
    LOG_LEVEL: 'warn',
  };
  services['model-registry'] = await startService('model-registry', {
    ...common,
    HTTP_PORT: await freePort(),
    OUTBOX_POLL_MS: '200',
    // The defaults `mercato up` and the chart set.
    PROMOTION_POLICY_SENTIMENT: 'macro_f1:0.005:higher:100',
  });
  const registryUrl = services['model-registry'].url;
  services.feature = await startService('feature', {
    ...common,
    HTTP_PORT: await freePort(),
    KAFKA_CONSUMER_GROUP: groups.feature,
  });
  const featureUrl = services.feature.url;
  [services.ingest, services.training, services.scoring] = await Promise.all([
    startService('ingest', { ...common, HTTP_PORT: await freePort() }),
    startService('training', {
      ...common,
      HTTP_PORT: await freePort(),
      KAFKA_CONSUMER_GROUP: groups.training,
      MODEL_REGISTRY_URL: registryUrl,
      FEATURE_URL: featureUrl,
      RETRAIN_ON_DRIFT: 'true',
    }),
    startService(
      'scoring',
      {
        ...common,
        HTTP_PORT: await freePort(),
        GRPC_PORT: await freePort(),
        KAFKA_CONSUMER_GROUP: groups.scoring,
        MODEL_REGISTRY_URL: registryUrl,
        FEATURE_URL: featureUrl,
        SENTIMENT_MODEL_NAME: MODEL,
        MODEL_POLL_INTERVAL_MS: '2000',
        SENTIMENT_DRIFT_WINDOW: String(DRIFT_WINDOW),
      },
      120_000,
    ),
  ]);
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop()));
  await db?.drop();
});

describe('the closed loop', () => {
  it('detects drift, retrains with the analysts’ corrections, promotes the better challenger and serves it', async () => {
    const first = await call('training', 'POST', '/v1/jobs', {
      modelName: MODEL,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=5&count=1500',
      hyperparameters: { epochs: 3, embeddingDim: 32, filters: 32, hidden: 16, maxLength: 24, minCount: 1 },
      promoteIfBetter: true,
    });
    expect((await succeeded(first.requestId as string)).promotion.outcome).toBe('promoted');

    await eventually(async () => ((await serving()) === 1 ? true : undefined), 60_000, 'scoring to serve v1');

    // Analysts correct the new kind of headline (by text, as they would paste it).
    for (const s of shifted)
      await call('feature', 'POST', '/v1/sentiment/feedback', { text: s.text, label: s.label });

    // The tenant's news shifts: through ingest's public API, as a feed sends it.
    const articles = Array.from({ length: DRIFT_WINDOW }, (_, i) => {
      const s = shifted[i % shifted.length] as { text: string };
      return {
        id: `loop-${RUN}-${i}`,
        source: 'newswire',
        published_at: new Date(Date.now() - (DRIFT_WINDOW - i) * 1_000).toISOString(),
        headline: `${s.text} $${TICKER}`,
        // Distinct stories (ingest drops repeated content), the same words.
        body: `Report ${i}.`,
        language: 'en',
      };
    });
    const sent = await call('ingest', 'POST', '/v1/news', { articles });
    expect(sent.accepted).toBe(DRIFT_WINDOW);

    // No command from here on: drift → retrain → judged on the same held-out data → promoted → served.
    const retrain = await succeeded(`${MODEL}-drift-v1`, 240_000);
    expect(retrain.promotion).toMatchObject({ outcome: 'promoted', version: 2, previousVersion: 1 });
    expect(retrain.promotion.decision).toMatchObject({ championMeasuredOn: 'holdout' });
    process.stdout.write(`[closed loop] ${retrain.promotion.decision.reason as string}\n`);
    expect(retrain.promotion.decision.challengerValue).toBeGreaterThan(
      retrain.promotion.decision.championValue,
    );
    const lineage = await call('model-registry', 'GET', `/v1/models/${MODEL}/versions/2/lineage`);
    expect(lineage).toMatchObject({
      training: { requestedBy: 'retrain:drift' },
      champion: { version: 1 },
      decisions: [{ action: 'promote', fromVersion: 1, toVersion: 2 }],
    });
    expect(lineage.feedback.examples + lineage.feedback.heldOut).toBe(shifted.length);
    await eventually(
      async () => ((await serving()) === 2 ? true : undefined),
      60_000,
      'scoring to swap to v2',
    );
  }, 600_000);
});
