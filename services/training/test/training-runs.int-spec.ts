// Experiment runs end to end on the real broker, database and model registry: a job through the
// stack is a run in Postgres with its resolved parameters, per-epoch series, final evaluation and the
// registry version it produced (and the version's lineage names the run); its TensorBoard event files
// are written live under TENSORBOARD_LOGDIR; a cancelled job's run keeps its curves up to the stop;
// an offline run's record is imported once, NaN and ±Infinity kept as they came; bad input is a 400
// naming the field; the runs API is in the OpenAPI document.
import { create, toBinary } from '@bufbuild/protobuf';
import { ModelKind, Topics, TrainingRequestSchema } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  freePort,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kafka = testKafka();
const RUN = uniqueSuffix()
  .replace(/[^a-z0-9]/g, '')
  .slice(-10);
let db: TestDatabase;
let registry: ServiceProcess;
let training: ServiceProcess;
let producer: Producer;
let logdir: string;

beforeAll(async () => {
  db = await createTestDatabase('training_runs');
  logdir = mkdtempSync(join(tmpdir(), 'runs-tensorboard-'));
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
  registry = await startService('model-registry', {
    ...env,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: `registry-runs-${RUN}`,
  });
  const group = `training-runs-${RUN}`;
  await startGroupAtEnd(kafka, group, [Topics.trainingRequests.name]);
  training = await startService('training', {
    // No feature service here: sentiment jobs join no analyst feedback.
    SENTIMENT_FEEDBACK_WEIGHT: '0',
    ...env,
    HTTP_PORT: String(await freePort()),
    KAFKA_CONSUMER_GROUP: group,
    MODEL_REGISTRY_URL: registry.url,
    TENSORBOARD_LOGDIR: logdir,
  });
  producer = kafka.producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await training?.stop();
  await registry?.stop();
  await db?.drop();
  if (logdir) rmSync(logdir, { recursive: true, force: true });
});

const CNN_HP = { embeddingDim: '16', filters: '16', hidden: '8', maxLength: '24', minCount: '1' };

async function request(fields: {
  modelName: string;
  hyperparameters: Record<string, string>;
  tags?: string[];
}): Promise<string> {
  const requestId = randomUUID();
  const value = create(TrainingRequestSchema, {
    requestId,
    kind: ModelKind.SENTIMENT,
    architecture: 'cnn',
    datasetRef: 'synthetic:news?seed=5&count=600',
    requestedBy: 'runs-spec',
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

const get = async (path: string): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${training.url}${path}`);
  return { status: res.status, body: await res.json() };
};

const importRun = async (body: unknown): Promise<{ status: number; body: any }> => {
  const res = await fetch(`${training.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
};

describe('experiment runs', () => {
  it('records a job as a run: parameters, epoch series, final evaluation, registry version, event files', async () => {
    const model = `runs-cnn-${RUN}`;
    const requestId = await request({
      modelName: model,
      hyperparameters: { ...CNN_HP, epochs: '3', patience: '10' },
      tags: ['sweep-a', 'baseline'],
    });
    const job = await eventually(
      async () => {
        const { body: j } = await get(`/v1/jobs/${requestId}`);
        if (j.status === 'failed') throw new Error(`job failed: ${j.error}`);
        return j.status === 'succeeded' ? j : undefined;
      },
      120_000,
      'the training job',
    );
    expect(job.runId).toMatch(/^[0-9a-f-]{36}$/);

    const { status, body: run } = await get(`/v1/runs/${job.runId}`);
    expect(status).toBe(200);
    expect(run).toMatchObject({
      runId: job.runId,
      model,
      kind: 'sentiment',
      architecture: 'cnn',
      source: 'job',
      status: 'finished',
      requestId,
      requestedBy: 'runs-spec',
      registeredVersion: job.version,
      tags: ['sweep-a', 'baseline'],
      error: null,
    });
    expect(run.durationSeconds).toBeGreaterThan(0);
    expect(run.metrics.accuracy).toBe(job.metrics.accuracy);
    expect(run.params).toMatchObject({
      datasetRef: 'synthetic:news?seed=5&count=600',
      backend: 'tensorflow',
      codeVersion: expect.any(String),
      hyperparameters: { epochs: 3, embeddingDim: 16 },
    });
    expect(run.params.datasetHash).toMatch(/^sha256:/);
    const loss = run.series.find((s: any) => s.name === 'epoch/loss');
    expect(loss).toMatchObject({ points: 3, lastStep: 3 });
    expect(run.series.map((s: any) => s.name)).toEqual(
      expect.arrayContaining(['epoch/val_macro_f1', 'epoch/val_loss', 'epoch/samples_per_second']),
    );

    const { body: metrics } = await get(`/v1/runs/${job.runId}/metrics?name=epoch/loss`);
    expect(metrics.series).toHaveLength(1);
    expect(metrics.series[0].points.map((p: any) => p.step)).toEqual([1, 2, 3]);
    expect(metrics.series[0].points.every((p: any) => typeof p.value === 'number')).toBe(true);
    expect((await get(`/v1/runs/${job.runId}/metrics`)).body.series.length).toBe(run.series.length);

    // The link from a registry version to its run, both ways.
    const version: any = await (
      await fetch(`${registry.url}/v1/models/${model}/versions/${job.version}`)
    ).json();
    expect(version.lineage.runId).toBe(job.runId);
    const byVersion = await get(`/v1/runs?model=${model}&version=${job.version}`);
    expect(byVersion.body.items.map((r: any) => r.runId)).toEqual([job.runId]);
    expect((await get('/v1/runs?tag=sweep-a')).body.items.map((r: any) => r.runId)).toEqual([job.runId]);
    expect((await get('/v1/runs?tag=other')).body.items).toEqual([]);

    // TensorBoard event files, written by the worker as it trained (<logdir>/<tenant>/<model>/<run id>).
    const [tenant] = readdirSync(logdir);
    const dir = join(logdir, tenant as string, model, job.runId);
    const files = readdirSync(dir).filter((f) => f.startsWith('events.out.tfevents.'));
    expect(files.length).toBeGreaterThan(0);
    expect(statSync(join(dir, files[0] as string)).size).toBeGreaterThan(100);
  }, 180_000);

  it('keeps the curves of a cancelled run up to the stop', async () => {
    const model = `runs-cancel-${RUN}`;
    const requestId = await request({
      modelName: model,
      hyperparameters: { ...CNN_HP, epochs: '500', patience: '500' },
    });
    const runId = await eventually(
      async () => {
        const { body: j } = await get(`/v1/jobs/${requestId}`);
        if (!j.runId) return undefined;
        const { body: r } = await get(`/v1/runs/${j.runId}`);
        return r.series?.some((s: any) => s.name === 'epoch/loss') ? (j.runId as string) : undefined;
      },
      60_000,
      'the first epoch of the run',
    );
    expect((await fetch(`${training.url}/v1/jobs/${requestId}/cancel`, { method: 'POST' })).status).toBe(202);
    const run = await eventually(
      async () => {
        const { body: r } = await get(`/v1/runs/${runId}`);
        return r.status === 'running' ? undefined : r;
      },
      60_000,
      'the run to end',
    );
    expect(run).toMatchObject({ status: 'cancelled', registeredVersion: null });
    expect(run.error).toBeTruthy();
    expect(run.series.find((s: any) => s.name === 'epoch/loss').points).toBeGreaterThan(0);
    expect((await get(`/v1/runs?model=${model}&status=cancelled`)).body.items).toHaveLength(1);
  }, 150_000);

  it('imports an offline run once, keeping NaN and infinite values as they came', async () => {
    const runId = randomUUID();
    const at = new Date().toISOString();
    const record = {
      format: 'mercato-run/1',
      runId,
      model: `runs-offline-${RUN}`,
      kind: 'sentiment',
      architecture: 'cnn',
      source: 'offline',
      status: 'failed',
      params: { hyperparameters: { learningRate: 10 } },
      tags: ['diverged'],
      metrics: {},
      error: 'loss diverged',
      startedAt: at,
      finishedAt: at,
      series: {
        'epoch/loss': [
          { step: 1, value: 1.2, at },
          { step: 2, value: 'Infinity', at },
          { step: 3, value: 'NaN', at },
        ],
        'epoch/val_loss': [{ step: 1, value: '-Infinity', at }],
      },
    };
    const first = await importRun(record);
    expect(first).toEqual({ status: 201, body: { runId, imported: true } });
    expect(await importRun(record)).toEqual({ status: 200, body: { runId, imported: false } });

    const { body: run } = await get(`/v1/runs/${runId}`);
    expect(run).toMatchObject({
      source: 'offline',
      status: 'failed',
      error: 'loss diverged',
      tags: ['diverged'],
    });
    expect(run.series).toEqual(
      expect.arrayContaining([{ name: 'epoch/loss', points: 3, lastStep: 3, lastValue: 'NaN' }]),
    );
    const { body: metrics } = await get(`/v1/runs/${runId}/metrics?name=epoch/loss`);
    expect(metrics.series[0].points.map((p: any) => p.value)).toEqual([1.2, 'Infinity', 'NaN']);
    expect((await get(`/v1/runs/${runId}/metrics?name=epoch/val_loss`)).body.series[0].points[0].value).toBe(
      '-Infinity',
    );
  });

  it('answers bad input with 400 naming the field, and unknown runs and series with 404', async () => {
    const at = new Date().toISOString();
    const bad = await importRun({
      format: 'mercato-run/1',
      runId: 'has spaces',
      model: 'm',
      kind: 'sentiment',
      source: 'offline',
      status: 'running',
      startedAt: at,
      series: { 'epoch/loss': [{ step: 1, value: 'lots', at }] },
    });
    expect(bad.status).toBe(400);
    const fields = bad.body.errors.map((e: any) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['runId', 'status']));
    expect(fields.some((f: string) => f.startsWith('series'))).toBe(true);
    expect((await get('/v1/runs/has%20spaces')).status).toBe(400);
    expect((await get(`/v1/runs/${randomUUID()}`)).status).toBe(404);
    expect((await get(`/v1/runs/${randomUUID()}/metrics`)).status).toBe(404);
    expect((await get('/v1/runs?status=sideways')).status).toBe(400);
    const imported = (await get('/v1/runs?tag=diverged')).body.items[0].runId;
    const noSeries = await get(`/v1/runs/${imported}/metrics?name=epoch/accuracy`);
    expect(noSeries.status).toBe(404);
    expect(noSeries.body.message).toMatch(/epoch\/loss/);
    expect((await get(`/v1/runs/${imported}/metrics?name=Not%20A%20Name`)).status).toBe(400);
  });

  it('documents the runs API in the OpenAPI document', async () => {
    const { body: doc } = await get('/v1/openapi.json');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/runs', '/v1/runs/{runId}', '/v1/runs/{runId}/metrics']),
    );
    expect(Object.keys(doc.paths['/v1/runs'])).toEqual(expect.arrayContaining(['get', 'post']));
  });
});
