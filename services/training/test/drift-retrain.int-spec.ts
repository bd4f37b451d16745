// Retraining on drift, on the real services (training and model-registry as processes, the real
// broker, a fresh database, a tenant of this run's own), no command after the first model: a
// sentiment model trained by a job is in production; a ModelMonitoring event saying its production
// version drifted (as scoring publishes them) makes training retrain that version's recipe once,
// promote-if-better; the registry's policy (here a margin no retrain can meet) refuses the
// challenger, production stays, and the refusal is history and an event with its figures. The same
// version drifting again retrains nothing; a window that did not drift does nothing. After feedback
// (RETRAIN_AFTER_FEEDBACK): the feature service's count of the tenant's corrected texts, beyond those
// the production version trained with, retrains it once it reaches the trigger, not again until
// another RETRAIN_AFTER_FEEDBACK corrections have come since, then once more. A
// retrain that fails leaves production where it is, and says why: the job, a retrain_failed row in
// the alias history (and `mercato models history`), a RETRAIN_FAILED lifecycle event.
import { fromBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ModelEventSchema,
  ModelEventType,
  ModelKind,
  Topics,
  TrainingRequestSchema,
  type ModelEvent,
  type TrainingRequest,
} from '@mercato/contracts';
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
import { metricValue } from '@mercato/testing';
import type { Consumer } from 'kafkajs';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');
const kafka = testKafka();
const RUN = uniqueSuffix();
const TENANT = `drift${RUN}`;
const MODEL = `sentiment-${TENANT}`;
const FEEDBACK_MODEL = `sentiment-fb-${TENANT}`;
const AFTER_FEEDBACK = 5;

let db: TestDatabase;
let registry: ServiceProcess;
let training: ServiceProcess;
let producer: EventProducer;
let reader: Consumer;
const requests: TrainingRequest[] = [];
const lifecycle: ModelEvent[] = [];

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

async function succeeded(requestId: string): Promise<any> {
  return eventually(
    async () => {
      const res = await fetch(`${training.url}/v1/jobs/${requestId}`);
      if (res.status === 404) return undefined;
      const j: any = await res.json();
      if (j.status === 'failed') throw new Error(`job failed: ${j.error}`);
      return j.status === 'succeeded' ? j : undefined;
    },
    120_000,
    `job ${requestId}`,
  );
}

/** The feature service's event after a correction: the tenant's corrected texts so far. */
const feedbackCount = (texts: number) =>
  producer.send(Topics.modelMonitoring, [
    {
      key: FEEDBACK_MODEL,
      eventId: randomUUID(),
      tenantId: TENANT,
      value: {
        tenantId: TENANT,
        modelName: FEEDBACK_MODEL,
        kind: ModelKind.SENTIMENT,
        version: '1',
        windowStart: timestampFromDate(new Date(Date.now() - 60_000)),
        windowEnd: timestampFromDate(new Date()),
        sample: texts,
        figures: { feedback_disagreement: 0.2, feedback_texts: texts },
        drifted: [],
        threshold: 0.3,
      },
    },
  ]);

const monitoring = (version: string, drifted: string[]) =>
  producer.send(Topics.modelMonitoring, [
    {
      key: MODEL,
      eventId: randomUUID(),
      tenantId: TENANT,
      value: {
        tenantId: TENANT,
        modelName: MODEL,
        kind: ModelKind.SENTIMENT,
        version,
        windowStart: timestampFromDate(new Date(Date.now() - 60_000)),
        windowEnd: timestampFromDate(new Date()),
        sample: 500,
        figures: { psi_predicted_class: drifted.length > 0 ? 0.61 : 0.02, psi_confidence: 0.05 },
        drifted,
        threshold: 0.25,
      },
    },
  ]);

beforeAll(async () => {
  db = await createTestDatabase('drift_retrain');
  const group = `drift-training-${RUN}`;
  const readerGroup = `drift-reader-${RUN}`;
  await startGroupAtEnd(kafka, group, [Topics.trainingRequests.name, Topics.modelMonitoring.name]);
  await startGroupAtEnd(kafka, readerGroup, [Topics.trainingRequests.name, Topics.modelLifecycle.name]);
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    TENANT_ID: TENANT,
    LOG_LEVEL: 'warn',
  };
  registry = await startService('model-registry', {
    ...common,
    HTTP_PORT: String(await freePort()),
    OUTBOX_POLL_MS: '200',
    // No retrain of the same recipe gains this much: the challenger loses.
    PROMOTION_POLICY_SENTIMENT: 'macro_f1:0.5',
  });
  training = await startService('training', {
    ...common,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: group,
    MODEL_REGISTRY_URL: registry.url,
    RETRAIN_ON_DRIFT: 'true',
    RETRAIN_AFTER_FEEDBACK: String(AFTER_FEEDBACK),
    // No feature service here: no analyst feedback to join.
    SENTIMENT_FEEDBACK_WEIGHT: '0',
  });
  producer = new EventProducer(kafka);
  await producer.connect();
  reader = kafka.consumer({ groupId: readerGroup, maxWaitTimeInMs: 200 });
  await reader.connect();
  await reader.subscribe({ topics: [Topics.trainingRequests.name, Topics.modelLifecycle.name] });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const key = message.key?.toString();
      if (key !== MODEL && key !== FEEDBACK_MODEL) return;
      if (topic === Topics.trainingRequests.name)
        requests.push(fromBinary(TrainingRequestSchema, message.value ?? new Uint8Array()));
      else lifecycle.push(fromBinary(ModelEventSchema, message.value ?? new Uint8Array()));
    },
  });
}, 180_000);

afterAll(async () => {
  await reader?.disconnect();
  await producer?.disconnect();
  await training?.stop();
  await registry?.stop();
  await db?.drop();
});

describe('retraining on drift', () => {
  it('retrains a drifted production version once; a losing challenger leaves production where it is', async () => {
    const hyperparameters = {
      epochs: 2,
      embeddingDim: 16,
      filters: 16,
      hidden: 8,
      maxLength: 24,
      minCount: 1,
    };
    const first = await call(training, 'POST', '/v1/jobs', {
      modelName: MODEL,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=3&count=600',
      hyperparameters,
      promoteIfBetter: true,
    });
    expect((await succeeded(first.requestId)).promotion.outcome).toBe('promoted');

    // A window that did not drift asks for nothing.
    await monitoring('1', []);
    await monitoring('1', ['psi_predicted_class']);
    const retrain = await eventually(
      async () => requests.find((r) => r.requestedBy === 'retrain:drift'),
      60_000,
      'the drift retrain request',
    );
    expect(retrain).toMatchObject({
      requestId: `${MODEL}-drift-v1`,
      tenantId: TENANT,
      kind: ModelKind.SENTIMENT,
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=3&count=600',
      promoteIfBetter: true,
    });
    expect(retrain.hyperparameters).toMatchObject({ epochs: '2', embeddingDim: '16', filters: '16' });

    const job = await succeeded(retrain.requestId);
    expect(job.version).toBe(2);
    expect(job.promotion.outcome).toBe('rejected');
    expect(job.promotion.decision).toMatchObject({ championMeasuredOn: 'holdout', policy: { margin: 0.5 } });
    expect((await call(registry, 'GET', `/v1/models/${MODEL}/aliases/production`)).version).toBe(1);
    const history = await call(registry, 'GET', `/v1/models/${MODEL}/aliases/production/history`);
    expect(history.items[0]).toMatchObject({ action: 'rejected', fromVersion: 1, toVersion: 2 });
    const refusal = await eventually(
      async () => lifecycle.find((e) => e.type === ModelEventType.PROMOTION_REJECTED),
      30_000,
      'the PROMOTION_REJECTED event',
    );
    expect(refusal).toMatchObject({ version: '2', previousVersion: '1' });
    expect(refusal.decision?.metric).toBe('macro_f1');

    // Lineage of the challenger in one call: its recipe, the version it was judged against on the
    // same held-out data, and the refusal.
    const lineage = await call(registry, 'GET', `/v1/models/${MODEL}/versions/2/lineage`);
    expect(lineage).toMatchObject({
      model: MODEL,
      version: 2,
      dataset: { ref: 'synthetic:news?seed=3&count=600', testExamples: 120 },
      feedback: null,
      training: { requestId: `${MODEL}-drift-v1`, requestedBy: 'retrain:drift' },
      champion: { version: 1 },
      decisions: [{ action: 'rejected', fromVersion: 1, toVersion: 2 }],
    });
    expect(lineage.codeVersion).toEqual(expect.any(String));
    expect(lineage.dataset.hash).toMatch(/^sha256:/);
    const shown = await run(process.execPath, [CLI, 'models', 'lineage', `${MODEL}@2`], {
      env: { ...process.env, MODEL_REGISTRY_URL: registry.url },
    });
    expect(shown.stdout).toContain(`${MODEL} v2 (sentiment)`);
    expect(shown.stdout).toContain(`training:   request ${MODEL}-drift-v1 by retrain:drift`);
    expect(shown.stdout).toMatch(
      /production\s+rejected\s+v1\s+v2\s+\S+\s+v2 macro_f1 .* on the same held-out data/,
    );
    const production = await run(process.execPath, [CLI, 'models', 'lineage', `${MODEL}@production`], {
      env: { ...process.env, MODEL_REGISTRY_URL: registry.url },
    });
    expect(production.stdout).toContain(`${MODEL} v1 (sentiment) — production`);

    // v1 drifting again: it was retrained already, nothing more is asked.
    await monitoring('1', ['psi_predicted_class']);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(requests.filter((r) => r.requestedBy === 'retrain:drift')).toHaveLength(1);
    expect(
      await metricValue(training.url, 'mercato_training_drift_decisions_total', {
        outcome: 'already_retrained',
      }),
    ).toBe(1);
    expect(
      await metricValue(training.url, 'mercato_training_drift_decisions_total', { outcome: 'retrain' }),
    ).toBe(1);
  }, 300_000);

  it('retrains the production version once the tenant has corrected enough texts it has not seen', async () => {
    const first = await call(training, 'POST', '/v1/jobs', {
      modelName: FEEDBACK_MODEL,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: 'synthetic:news?seed=4&count=400',
      hyperparameters: { epochs: 1, embeddingDim: 8, filters: 8, hidden: 8, maxLength: 24, minCount: 1 },
      promoteIfBetter: true,
    });
    expect((await succeeded(first.requestId)).promotion.outcome).toBe('promoted');
    const fromFeedback = () => requests.filter((r) => r.requestedBy === 'retrain:feedback');

    // Below the trigger: nothing is asked.
    await feedbackCount(AFTER_FEEDBACK - 1);
    await eventually(
      async () =>
        (await metricValue(training.url, 'mercato_training_drift_decisions_total', {
          outcome: 'feedback_pending',
        })) === 1
          ? true
          : undefined,
      30_000,
      'the pending decision',
    );
    expect(fromFeedback()).toEqual([]);

    await feedbackCount(AFTER_FEEDBACK);
    const retrain = await eventually(async () => fromFeedback()[0], 60_000, 'the feedback retrain request');
    expect(retrain).toMatchObject({
      requestId: `${FEEDBACK_MODEL}-feedback-v1-${AFTER_FEEDBACK}`,
      tenantId: TENANT,
      datasetRef: 'synthetic:news?seed=4&count=400',
      promoteIfBetter: true,
    });
    // More corrections while it trains, and after: no second job until another AFTER_FEEDBACK.
    await feedbackCount(AFTER_FEEDBACK + 1);
    const job = await succeeded(retrain.requestId);
    expect(job.promotion.outcome).toBe('rejected');
    await feedbackCount(AFTER_FEEDBACK + 2);
    await new Promise((r) => setTimeout(r, 3_000));
    expect(fromFeedback()).toHaveLength(1);
    expect(
      await metricValue(training.url, 'mercato_training_drift_decisions_total', {
        outcome: 'feedback_retrain',
      }),
    ).toBe(1);
    const declined =
      (await metricValue(training.url, 'mercato_training_drift_decisions_total', {
        outcome: 'job_running',
      })) +
      (await metricValue(training.url, 'mercato_training_drift_decisions_total', {
        outcome: 'already_retrained',
      }));
    // The drift test's repeat (already_retrained) and these two.
    expect(declined).toBe(3);
    expect((await call(registry, 'GET', `/v1/models/${FEEDBACK_MODEL}/aliases/production`)).version).toBe(1);

    // Another AFTER_FEEDBACK corrections since that retrain: the same version is retrained again.
    await feedbackCount(2 * AFTER_FEEDBACK);
    const again = await eventually(async () => fromFeedback()[1], 60_000, 'the second feedback retrain');
    expect(again.requestId).toBe(`${FEEDBACK_MODEL}-feedback-v1-${2 * AFTER_FEEDBACK}`);
    await succeeded(again.requestId);
  }, 300_000);

  it('a retrain that fails leaves production where it is and says why, in history and as an event', async () => {
    const failing = await call(training, 'POST', '/v1/jobs', {
      modelName: MODEL,
      kind: 'sentiment',
      architecture: 'student',
      teacher: `no-such-teacher-${RUN}@production`,
      datasetRef: 'synthetic:news?seed=3&count=600',
      promoteIfBetter: true,
    });
    const job = await eventually(
      async () => {
        const j: any = await (await fetch(`${training.url}/v1/jobs/${failing.requestId}`)).json();
        return j.status === 'failed' ? j : undefined;
      },
      60_000,
      'the job to fail',
    );
    expect(job.error).toContain(`no-such-teacher-${RUN}`);
    expect((await call(registry, 'GET', `/v1/models/${MODEL}/aliases/production`)).version).toBe(1);
    const history = await eventually(
      async () => {
        const h = await call(registry, 'GET', `/v1/models/${MODEL}/aliases/production/history`);
        return h.items[0]?.action === 'retrain_failed' ? h : undefined;
      },
      30_000,
      'the failure in the alias history',
    );
    expect(history.items[0]).toMatchObject({
      action: 'retrain_failed',
      fromVersion: 1,
      toVersion: 1,
      reason: `retrain ${failing.requestId} failed: ${job.error}`,
    });
    const event = await eventually(
      async () => lifecycle.find((e) => e.type === ModelEventType.RETRAIN_FAILED),
      30_000,
      'the RETRAIN_FAILED event',
    );
    expect(event).toMatchObject({ version: '1', previousVersion: '1', reason: history.items[0].reason });
    const shown = await run(process.execPath, [CLI, 'models', 'history', MODEL], {
      env: { ...process.env, MODEL_REGISTRY_URL: registry.url },
    });
    expect(shown.stdout).toMatch(
      new RegExp(`retrain_failed\\s+v1\\s+v1\\s+\\S+\\s+retrain ${failing.requestId} failed`),
    );
  }, 120_000);
});
