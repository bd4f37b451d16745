// Analysts' feedback joins the next sentiment fine-tune, on the real services (feature, training,
// model-registry as processes, the real broker, a fresh database, one tenant of this run's own): an
// article goes in on news.raw.v1, an analyst corrects its label (and gives texts), a fine-tune is
// submitted, and the version it registers says in its lineage how much feedback it saw, with the
// weight it was joined with, and how many corrections were held out to extend its evaluation.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Topics } from '@mercato/contracts';
import {
  REPO_ROOT,
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
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');
const kafka = testKafka();
const RUN = uniqueSuffix();
const TENANT = `fbt${RUN}`;
const MODEL = `sentiment-${TENANT}`;
const ARTICLE = `fbt-${RUN}-1`;

let db: TestDatabase;
let feature: ServiceProcess;
let registry: ServiceProcess;
let training: ServiceProcess;
let producer: EventProducer;

async function call(service: ServiceProcess, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  db = await createTestDatabase('train_feedback');
  const groups = { feature: `fbt-feature-${RUN}`, training: `fbt-training-${RUN}` };
  await startGroupAtEnd(kafka, groups.feature, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, groups.training, [Topics.trainingRequests.name]);
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    TENANT_ID: TENANT,
    LOG_LEVEL: 'warn',
  };
  [feature, registry] = await Promise.all([
    startService('feature', {
      ...common,
      HTTP_PORT: String(await freePort()),
      KAFKA_CONSUMER_GROUP: groups.feature,
    }),
    startService('model-registry', { ...common, HTTP_PORT: String(await freePort()) }),
  ]);
  training = await startService('training', {
    ...common,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: groups.training,
    MODEL_REGISTRY_URL: registry.url,
    FEATURE_URL: feature.url,
  });
  producer = new EventProducer(kafka);
  await producer.connect();
}, 180_000);

afterAll(async () => {
  await producer?.disconnect();
  await Promise.all([training, registry, feature].map((s) => s?.stop()));
  await db?.drop();
});

describe('sentiment feedback in training', () => {
  it('joins the tenant’s corrections to the next fine-tune and records how many the version saw', async () => {
    await producer.send(Topics.newsRaw, [
      {
        key: ARTICLE,
        eventId: randomUUID(),
        value: {
          articleId: ARTICLE,
          tenantId: TENANT,
          source: 'newswire',
          publishedAt: timestampFromDate(new Date(Date.now() - 60_000)),
          headline: 'Acme shares slide after the recall',
          body: '',
          contentHash: `${ARTICLE}-hash`,
        },
      },
    ]);
    const corrected = await eventually(
      async () => {
        const res = await fetch(`${feature.url}/v1/sentiment/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ articleId: ARTICLE, label: 'negative' }),
        });
        if (res.status === 404) return undefined;
        return res.json();
      },
      60_000,
      'the article to be stored and corrected',
    );
    expect(corrected).toMatchObject({ articleId: ARTICLE, label: 'negative', submittedBy: 'development' });
    await call(feature, 'POST', '/v1/sentiment/feedback', {
      text: 'Acme raises its outlook',
      label: 'positive',
    });
    // This one falls in the fifth of corrections set aside (by its text's hash) as fresh held-out data.
    await call(feature, 'POST', '/v1/sentiment/feedback', { text: 'Acme shares are flat', label: 'neutral' });

    const job = await call(training, 'POST', '/v1/jobs', {
      modelName: MODEL,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=7&count=400',
      hyperparameters: { epochs: 2, embeddingDim: 16, filters: 16, hidden: 8, maxLength: 24, minCount: 1 },
      promoteIfBetter: true,
    });
    const done = await eventually(
      async () => {
        const j = await call(training, 'GET', `/v1/jobs/${job.requestId as string}`).catch(() => undefined);
        if (j?.status === 'failed') throw new Error(`training failed: ${j.error}`);
        return j?.status === 'succeeded' ? j : undefined;
      },
      120_000,
      'the fine-tune',
    );
    const version = await call(registry, 'GET', `/v1/models/${MODEL}/versions/${done.version as number}`);
    expect(version.lineage.feedback).toEqual({ examples: 2, weight: 3, replaced: 0, heldOut: 1 });
    // The 400 generated training examples plus two corrections three times each; the 80 held out
    // plus the held-out correction, on which production was scored too.
    expect(version.lineage).toMatchObject({ trainExamples: 400 + 2 * 3, testExamples: 80 + 1 });
    const shown = await run(process.execPath, [CLI, 'models', 'show', `${MODEL}@${done.version as number}`], {
      env: { ...process.env, MODEL_REGISTRY_URL: registry.url },
    });
    expect(shown.stdout).toContain(
      'feedback: 2 corrected texts joined ×3, 0 examples replaced, 1 held out with the test data',
    );
  }, 240_000);
});
