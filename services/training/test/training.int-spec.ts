// The training service end to end on the real broker, database and model registry: a training
// request on training.requests.v1 becomes a registered, promoted version with metrics and lineage,
// signed with the service's model signing key;
// a redelivered request trains nothing twice; a bad request is dead-lettered with its reason; the
// service stays responsive while a model trains in its worker thread; a transformer teacher is
// fine-tuned (on a tiny encoder, MERCATO_ENCODER_DIR) and a student distilled from it by registry
// reference; a running job is cancelled on request and registers nothing.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DeadLetterSchema, ModelKind, Topics, TrainingRequestSchema } from '@mercato/contracts';
import { writeTinyEncoder } from '@mercato/ml';
import { generateNews } from '@mercato/synthetic';
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
} from '@mercato/dev-stack';
import type { Producer } from 'kafkajs';
import { RegistryClient, loadTrustedKeys } from '@mercato/registry-client';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kafka = testKafka();
let db: TestDatabase;
let registry: ServiceProcess;
let training: ServiceProcess;
let producer: Producer;

const REGISTRY_PORT = '18184';
const TRAINING_PORT = '18183';
/** The signing key as a mounted Secret (MODEL_SIGNING_KEY_FILE), its public key as scoring trusts it. */
const keys = mkdtempSync(join(tmpdir(), 'training-keys-'));
const signingKeyFile = join(keys, 'signing.pem');
const trustedDir = mkdtempSync(join(tmpdir(), 'training-trusted-'));
{
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(signingKeyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(trustedDir, 'training-it.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
}

beforeAll(async () => {
  db = await createTestDatabase('training');
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
  registry = await startService('model-registry', { ...env, HTTP_PORT: REGISTRY_PORT });
  // Its own group, starting at the end: the shared topic's history (other specs' requests) is not ours.
  const group = `training-${uniqueSuffix()}`;
  await startGroupAtEnd(kafka, group, [Topics.trainingRequests.name]);
  // A tiny encoder over the synthetic headlines' words stands in for all-MiniLM-L6-v2.
  const texts = generateNews({
    seed: 5,
    count: 1500,
    start: new Date('2026-01-01T00:00:00Z'),
    spacingMs: 60_000,
  }).map((a) => a.headline);
  const encoderDir = writeTinyEncoder(mkdtempSync(join(tmpdir(), 'tiny-encoder-')), { texts });
  training = await startService('training', {
    // No feature service here: sentiment jobs join no analyst feedback.
    SENTIMENT_FEEDBACK_WEIGHT: '0',
    ...env,
    HTTP_PORT: TRAINING_PORT,
    KAFKA_CONSUMER_GROUP: group,
    MODEL_REGISTRY_URL: registry.url,
    MERCATO_ENCODER_DIR: encoderDir,
    MODEL_SIGNING_KEY_FILE: signingKeyFile,
    MODEL_SIGNING_KEY_ID: 'training-it',
  });
  producer = kafka.producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await training?.stop();
  await registry?.stop();
  await db?.drop();
});

async function request(fields: {
  requestId?: string;
  architecture?: string;
  teacher?: string;
  modelName: string;
  datasetRef: string;
  hyperparameters?: Record<string, string>;
  promoteIfBetter?: boolean;
}): Promise<string> {
  const requestId = fields.requestId ?? randomUUID();
  const value = create(TrainingRequestSchema, {
    requestId,
    kind: ModelKind.SENTIMENT,
    architecture: 'cnn',
    requestedBy: 'test',
    ...fields,
  });
  await producer.send({
    topic: Topics.trainingRequests.name,
    messages: [
      {
        key: value.modelName,
        value: Buffer.from(toBinary(TrainingRequestSchema, value)),
        headers: { 'event-id': requestId, schema: TrainingRequestSchema.typeName },
      },
    ],
  });
  return requestId;
}

const json = async (url: string): Promise<any> => (await fetch(url)).json();

async function waitForJob(requestId: string, timeoutMs: number): Promise<any> {
  return eventually(
    async () => {
      const j = await json(`${training.url}/v1/jobs/${requestId}`);
      if (j.status === 'failed') throw new Error(`job failed: ${j.error}`);
      return j.status === 'succeeded' ? j : undefined;
    },
    timeoutMs,
    `training job ${requestId}`,
  );
}

describe('training service', () => {
  it('trains from a request, registers the version with lineage and promotes it', async () => {
    const model = `sentiment-${Date.now().toString(36)}`;
    const requestId = await request({
      modelName: model,
      datasetRef: 'synthetic:news?seed=5&count=1500',
      hyperparameters: {
        epochs: '3',
        embeddingDim: '32',
        filters: '32',
        hidden: '16',
        maxLength: '24',
        minCount: '1',
      },
      promoteIfBetter: true,
    });
    let liveChecks = 0;
    const job = await eventually(
      async () => {
        expect((await fetch(`${training.url}/healthz/live`)).status).toBe(200);
        liveChecks++;
        const j = await json(`${training.url}/v1/jobs/${requestId}`);
        if (j.status === 'failed') throw new Error(`job failed: ${j.error}`);
        return j.status === 'succeeded' ? j : undefined;
      },
      90_000,
      'the training job',
    );
    expect(liveChecks).toBeGreaterThan(1);
    expect(job.metrics.accuracy).toBeGreaterThan(0.9);
    expect(job.progress.some((p: any) => p.stage === 'epoch')).toBe(true);
    expect(job.promotion.outcome).toBe('promoted');

    const version = await json(`${registry.url}/v1/models/${model}/versions/${job.version}`);
    expect(version.lineage).toMatchObject({
      backend: 'tensorflow',
      trainingRequestId: requestId,
      datasetRef: 'synthetic:news?seed=5&count=1500',
    });
    expect(version.lineage.datasetHash).toMatch(/^sha256:/);
    expect(version.files.map((f: any) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'weights.bin',
    ]);
    expect((await json(`${registry.url}/v1/models/${model}/aliases/production`)).version).toBe(job.version);
    expect(version.signature).toMatchObject({ algorithm: 'ed25519', keyId: 'training-it' });
    // A client that trusts the training key (as scoring and the CLI do) downloads and verifies it.
    const verifying = new RegistryClient(registry.url, 30_000, {}, loadTrustedKeys(trustedDir));
    expect((await verifying.download(model, job.version)).files).toHaveLength(3);

    // The same request delivered again trains nothing and registers nothing new.
    await request({ requestId, modelName: model, datasetRef: 'synthetic:news?seed=5&count=1500' });
    const marker = await request({ modelName: `${model}-bad`, datasetRef: 'synthetic:nothing' });
    await eventually(
      async () =>
        (await readDeadLetters()).some((l) => l.originalHeaders['event-id'] === marker) ? true : undefined,
      30_000,
      'marker dead letter',
    );
    const versions = await json(`${registry.url}/v1/models/${model}/versions`);
    expect(versions.items).toHaveLength(1);
    expect((await json(`${training.url}/v1/jobs/${requestId}`)).attempts).toBe(1);
  }, 180_000);

  it('fine-tunes transformer teachers and distils a student from their ensemble by registry references', async () => {
    const teacherModel = `teacher-${Date.now().toString(36)}`;
    const teacherId = await request({
      architecture: 'transformer',
      modelName: teacherModel,
      datasetRef: 'synthetic:news?seed=5&count=600',
      hyperparameters: { epochs: '4', learningRate: '0.003', batchSize: '16', maxLength: '24' },
      promoteIfBetter: true,
    });
    const teacher = await waitForJob(teacherId, 120_000);
    expect(teacher.architecture).toBe('transformer');
    expect(teacher.metrics.accuracy).toBeGreaterThan(0.85);
    expect(teacher.metrics.sentences_per_second).toBeGreaterThan(0);
    expect(teacher.progress.some((p: any) => p.stage === 'step' && p.phase === 'train')).toBe(true);
    const teacherVersion = await json(
      `${registry.url}/v1/models/${teacherModel}/versions/${teacher.version}`,
    );
    expect(teacherVersion.lineage).toMatchObject({
      architecture: 'transformer',
      encoder: { name: expect.stringMatching(/^tiny-encoder-/) },
    });
    expect(teacherVersion.files.map((f: any) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'tokenizer.json',
      'weights.bin',
    ]);
    // A second fine-tune (another data seed): the student learns from both, an ensemble.
    const second = await waitForJob(
      await request({
        architecture: 'transformer',
        modelName: teacherModel,
        datasetRef: 'synthetic:news?seed=5&count=600',
        hyperparameters: {
          epochs: '4',
          learningRate: '0.003',
          batchSize: '16',
          maxLength: '24',
          dataSeed: '2',
        },
      }),
      120_000,
    );

    const studentId = await request({
      architecture: 'student',
      teacher: `${teacherModel}@production,${teacherModel}@${second.version}`,
      modelName: `${teacherModel}-student`,
      datasetRef: 'synthetic:news?seed=5&count=600',
      hyperparameters: {
        embeddingDim: '16',
        filters: '32',
        hidden: '16',
        epochs: '4',
        batchSize: '32',
        learningRate: '0.005',
        maxLength: '24',
      },
    });
    const student = await waitForJob(studentId, 120_000);
    expect(student.metrics.accuracy).toBeGreaterThan(0.85);
    expect(student.metrics.teacher_agreement).toBeGreaterThan(0.85);
    expect(student.progress.some((p: any) => p.stage === 'step' && p.phase === 'label')).toBe(true);
    const studentVersion = await json(
      `${registry.url}/v1/models/${teacherModel}-student/versions/${student.version}`,
    );
    expect(studentVersion.lineage).toMatchObject({
      architecture: 'student',
      teachers: [
        { model: teacherModel, version: teacher.version },
        { model: teacherModel, version: second.version },
      ],
    });

    // A student without a teacher, or a teacher that does not exist, can never succeed.
    const orphan = await request({
      architecture: 'student',
      modelName: 'orphan',
      datasetRef: 'synthetic:news?seed=1&count=100',
    });
    const missingTeacher = await request({
      architecture: 'student',
      teacher: 'no-such-teacher@production',
      modelName: 'orphan-2',
      datasetRef: 'synthetic:news?seed=1&count=100',
    });
    const letters = await eventually(async () => {
      const mine = (await readDeadLetters()).filter((l) =>
        [orphan, missingTeacher].includes(l.originalHeaders['event-id'] ?? ''),
      );
      return mine.length === 2 ? mine : undefined;
    }, 30_000);
    const byId = Object.fromEntries(letters.map((l) => [l.originalHeaders['event-id'], l]));
    expect(byId[orphan]?.errorMessage).toMatch(/teacher: a student request needs a teacher model reference/);
    expect(byId[missingTeacher]?.errorMessage).toMatch(/no-such-teacher/);
  }, 300_000);

  it('cancels a running job on request: it stops at its next step and registers nothing', async () => {
    const model = `cancelled-${Date.now().toString(36)}`;
    const requestId = await request({
      architecture: 'transformer',
      modelName: model,
      datasetRef: 'synthetic:news?seed=5&count=1500',
      hyperparameters: { epochs: '50', learningRate: '0.001', batchSize: '8', maxLength: '24' },
    });
    await eventually(
      async () => {
        const j = await json(`${training.url}/v1/jobs/${requestId}`);
        return j.progress?.some((p: any) => p.stage === 'step') ? true : undefined;
      },
      60_000,
      'the job to be training',
    );
    const cancel = await fetch(`${training.url}/v1/jobs/${requestId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    expect(((await cancel.json()) as { cancelRequestedAt: string }).cancelRequestedAt).toBeTruthy();
    const job = await eventually(
      async () => {
        const j = await json(`${training.url}/v1/jobs/${requestId}`);
        return j.status === 'running' ? undefined : j;
      },
      60_000,
      'the job to stop',
    );
    expect(job.status).toBe('cancelled');
    expect(job.version).toBeNull();
    expect((await fetch(`${registry.url}/v1/models/${model}/versions`)).status).toBe(404);
    expect((await fetch(`${training.url}/v1/jobs/${requestId}/cancel`, { method: 'POST' })).status).toBe(409);
    expect((await fetch(`${training.url}/v1/jobs/${randomUUID()}/cancel`, { method: 'POST' })).status).toBe(
      404,
    );
    // A job id with control characters is refused at the edge, naming the parameter.
    const hostile = await fetch(`${training.url}/v1/jobs/%00/cancel`, { method: 'POST' });
    expect(hostile.status).toBe(400);
    expect(((await hostile.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('requestId');
    expect((await fetch(`${training.url}/v1/jobs/%00`)).status).toBe(400);
  }, 180_000);

  it('dead-letters requests that can never succeed, with the reason', async () => {
    const missing = await request({ modelName: 'bad-data', datasetRef: '/nowhere/train.csv' });
    const badHp = await request({
      modelName: 'bad-hp',
      datasetRef: 'synthetic:news?seed=1&count=100',
      hyperparameters: { epochs: 'many' },
    });
    const letters = await eventually(async () => {
      const all = await readDeadLetters();
      const mine = all.filter((l) => [missing, badHp].includes(l.originalHeaders['event-id'] ?? ''));
      return mine.length === 2 ? mine : undefined;
    }, 30_000);
    const byId = Object.fromEntries(letters.map((l) => [l.originalHeaders['event-id'], l]));
    expect(byId[missing]?.errorMessage).toMatch(/does not exist on the training host/);
    expect(byId[missing]?.reason).toBe('validation');
    expect(byId[badHp]?.errorMessage).toMatch(/hyperparameters.epochs: expected a number/);
    const submit = await fetch(`${training.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ modelName: 'Bad Name', kind: 'x' }),
    });
    expect(submit.status).toBe(400);
    const body: any = await submit.json();
    expect(body.errors.map((e: any) => e.field).sort()).toEqual(['datasetRef', 'kind', 'modelName']);
  }, 60_000);
});

async function readDeadLetters() {
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}` });
  const letters: ReturnType<typeof fromBinary<typeof DeadLetterSchema>>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: Topics.trainingRequests.deadLetter, fromBeginning: true });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(Topics.trainingRequests.deadLetter);
  await admin.disconnect();
  const end = offsets.reduce((s, o) => s + Number(o.high), 0);
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      if (message.value) letters.push(fromBinary(DeadLetterSchema, message.value));
    },
  });
  const deadline = Date.now() + 10_000;
  while (seen < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return letters;
}
