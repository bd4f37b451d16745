// Recommender training through the training service, on the real broker, database and model
// registry: a recommender request on training.requests.v1 with a file dataset written here becomes
// a registered version with metrics and lineage, promoted when it beats production and not when it
// does not (each time production is also scored on the same held-out data); bad requests are
// dead-lettered with the reason; and the retraining trigger turns N new interactions of a tenant
// into exactly one training request, whatever the redeliveries, which then trains on the feature
// dataset. The feature service's dataset export is played by a small HTTP server below that speaks
// the contract (shared contracts, "feature service"): that endpoint is being built in parallel.
import { create, fromBinary, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DeadLetterSchema,
  InteractionSchema,
  InteractionType,
  ModelKind,
  Topics,
  TrainingRequestSchema,
} from '@mercato/contracts';
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
import { generateRetail } from '@mercato/synthetic';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const kafka = testKafka();
const RUN = uniqueSuffix();
const REGISTRY_PORT = '18284';
const TRAINING_PORT = '18283';
const SERVICE_KEY = `key-${RUN}`;
const RETRAIN_AFTER = 40;
const TENANT = `t${RUN}`;

let db: TestDatabase;
let registry: ServiceProcess;
let training: ServiceProcess;
let producer: Producer;
let feature: Server;
const featureCalls: { url: string; headers: IncomingHttpHeaders }[] = [];

// Generated retail history: users favour two categories; the k-th interaction of every user happens
// in round k, so a time split holds out each user's latest interactions.
const retail = generateRetail({
  seed: 21,
  users: 200,
  items: 300,
  interactionsPerUser: 25,
  start: new Date('2026-01-01T00:00:00Z'),
  spacingMs: 1,
});

function writeDataset(): { ratings: string; movies: string } {
  const dir = mkdtempSync(join(tmpdir(), 'recs-'));
  const ratings = join(dir, 'ratings.csv');
  const movies = join(dir, 'movies.csv');
  const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
  writeFileSync(
    ratings,
    `userId,movieId,rating,timestamp\n${retail.interactions
      .map((r, i) => `${r.user_id},${r.item_id},${r.value},${t0 + (i % 25) * 1000 + Math.floor(i / 25)}`)
      .join('\n')}\n`,
  );
  writeFileSync(
    movies,
    `movieId,title,genres\n${retail.items.map((it) => `${it.item_id},"${it.title}",${it.categories.join('|')}`).join('\n')}\n`,
  );
  return { ratings, movies };
}

/** The feature service's export contract, over the generated history spread across the last 10 days. */
function startFeatureStandIn(): Promise<Server> {
  const now = Date.now();
  const span = 10 * 86_400_000;
  const rounds = 25;
  const rows = retail.interactions.map((r, i) => ({
    user_id: r.user_id,
    item_id: r.item_id,
    type: r.type,
    value: r.value,
    occurred: now - span + ((i % rounds) * 200 + Math.floor(i / rounds)) * (span / (rounds * 200)),
    id: `x-${i}`,
  }));
  rows.sort((a, b) => a.occurred - b.occurred || (a.id < b.id ? -1 : 1));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    featureCalls.push({ url: url.pathname + url.search, headers: req.headers });
    if (req.headers.authorization !== `Bearer ${SERVICE_KEY}`) {
      res.writeHead(401).end('missing service key');
      return;
    }
    const asOf = Date.parse(url.searchParams.get('as_of') ?? new Date().toISOString());
    const splitAt = url.searchParams.get('split_at');
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (url.pathname === '/v1/datasets/interactions') {
      for (const r of rows) {
        if (r.occurred > asOf) break;
        const split = splitAt && r.occurred >= Date.parse(splitAt) ? 'test' : 'train';
        res.write(
          `${JSON.stringify({ user_id: r.user_id, item_id: r.item_id, type: r.type, value: r.value, occurred_at: new Date(r.occurred).toISOString(), split })}\n`,
        );
      }
    } else if (url.pathname === '/v1/datasets/items') {
      for (const it of retail.items)
        res.write(`${JSON.stringify({ ...it, updated_at: new Date(now - span).toISOString() })}\n`);
    } else {
      res.statusCode = 404;
    }
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  db = await createTestDatabase('trainrec');
  feature = await startFeatureStandIn();
  const env = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
  registry = await startService('model-registry', {
    ...env,
    HTTP_PORT: REGISTRY_PORT,
    KAFKA_CONSUMER_GROUP: `registry-${RUN}`,
    PROMOTION_POLICY_RECOMMENDER: 'ndcg_at_10_sampled99:0.001',
  });
  const group = `training-${RUN}`;
  await startGroupAtEnd(kafka, group, [Topics.trainingRequests.name, Topics.interactionsRaw.name]);
  training = await startService('training', {
    ...env,
    HTTP_PORT: TRAINING_PORT,
    KAFKA_CONSUMER_GROUP: group,
    MODEL_REGISTRY_URL: registry.url,
    FEATURE_URL: `http://127.0.0.1:${(feature.address() as AddressInfo).port}`,
    MERCATO_SERVICE_API_KEY: SERVICE_KEY,
    RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: String(RETRAIN_AFTER),
    // Other specs publish interactions on the shared topic: retrain only this spec's tenant.
    RECOMMENDER_RETRAIN_TENANTS: TENANT,
  });
  producer = kafka.producer();
  await producer.connect();
}, 120_000);

afterAll(async () => {
  await producer?.disconnect();
  await training?.stop();
  await registry?.stop();
  await new Promise((r) => feature?.close(r));
  await db?.drop();
});

async function send<S extends DescMessage>(
  spec: { name: string; schema: S },
  records: { key: string; eventId: string; value: MessageShape<S> }[],
): Promise<void> {
  await producer.send({
    topic: spec.name,
    messages: records.map((r) => ({
      key: r.key,
      value: Buffer.from(toBinary(spec.schema, r.value)),
      headers: { 'event-id': r.eventId, schema: spec.schema.typeName },
    })),
  });
}

async function request(fields: {
  modelName: string;
  datasetRef: string;
  hyperparameters?: Record<string, string>;
  promoteIfBetter?: boolean;
}): Promise<string> {
  const requestId = randomUUID();
  await send(Topics.trainingRequests, [
    {
      key: fields.modelName,
      eventId: requestId,
      value: create(TrainingRequestSchema, {
        requestId,
        kind: ModelKind.RECOMMENDER,
        requestedBy: 'test',
        ...fields,
      }),
    },
  ]);
  return requestId;
}

const json = async (url: string): Promise<any> => (await fetch(url)).json();

async function finished(requestId: string, timeoutMs = 90_000): Promise<any> {
  return eventually(
    async () => {
      const res = await fetch(`${training.url}/v1/jobs/${requestId}`);
      if (res.status === 404) return undefined;
      const job: any = await res.json();
      if (job.status === 'failed') throw new Error(`job failed: ${job.error}`);
      return job.status === 'succeeded' ? job : undefined;
    },
    timeoutMs,
    `training job ${requestId}`,
  );
}

describe('recommender training in the training service', () => {
  it('trains from a file dataset, registers metrics and lineage, and promotes only a better model', async () => {
    const model = `recommender-file-${RUN}`;
    const { ratings, movies } = writeDataset();
    const datasetRef = `file://${ratings}?items=${movies}&split=leave-last-out`;
    const first = await request({
      modelName: model,
      datasetRef,
      hyperparameters: { objective: 'implicit', epochs: '8', dims: '16', batchSize: '1024', seed: '3' },
      promoteIfBetter: true,
    });
    const job = await finished(first);
    expect(job.metrics.hr_at_10_sampled99).toBeGreaterThan(
      job.metrics.baseline_popularity_hr_at_10_sampled99,
    );
    expect(job.metrics.ranking_users).toBe(200);
    expect(job.progress.filter((p: any) => p.stage === 'epoch')).toHaveLength(8);
    expect(job.promotion.outcome).toBe('promoted');
    expect(job.championMetrics).toBeNull();

    const v1 = await json(`${registry.url}/v1/models/${model}/versions/${job.version}`);
    expect(v1.metrics.ndcg_at_10_sampled99).toBeCloseTo(job.metrics.ndcg_at_10_sampled99, 6);
    expect(v1.lineage).toMatchObject({
      backend: 'tensorflow',
      trainingRequestId: first,
      datasetRef,
      split: 'leave-last-out',
      trainExamples: 4800,
      testExamples: 200,
      hyperparameters: { objective: 'implicit', dim: 16, epochs: 8, seed: 3 },
    });
    expect(v1.lineage.datasetHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(v1.lineage.codeVersion).toEqual(expect.any(String));
    expect(v1.lineage.history).toHaveLength(8);
    expect(v1.lineage.history[0]).toMatchObject({ epoch: 1, loss: expect.any(Number) });
    expect(v1.lineage.parent).toBeUndefined();
    expect((await json(`${registry.url}/v1/models/${model}/aliases/production`)).version).toBe(job.version);

    // A weaker challenger (one epoch, tiny embeddings): production is scored on the same held-out
    // data, the lineage names it as the parent, and the policy keeps production where it is.
    const second = await request({
      modelName: model,
      datasetRef,
      hyperparameters: { objective: 'implicit', epochs: '1', dims: '4', lr: '0.001', seed: '3' },
      promoteIfBetter: true,
    });
    const weaker = await finished(second);
    expect(weaker.version).toBe(job.version + 1);
    expect(weaker.championMetrics.ndcg_at_10_sampled99).toBeCloseTo(job.metrics.ndcg_at_10_sampled99, 4);
    expect(weaker.metrics.ndcg_at_10_sampled99).toBeLessThan(weaker.championMetrics.ndcg_at_10_sampled99);
    expect(weaker.promotion.outcome).toBe('rejected');
    // The model serves, so a challenger goes to shadow first (RECOMMENDER_PROMOTE_TO), judged against
    // production's figures on this very held-out data, which the job measured.
    expect(weaker.promotion.alias).toBe('shadow');
    expect(weaker.promotion.reason).toContain('on the same held-out data');
    expect(weaker.promotion.decision).toMatchObject({ championMeasuredOn: 'holdout', sample: 200 });
    const v2 = await json(`${registry.url}/v1/models/${model}/versions/${weaker.version}`);
    expect(v2.lineage).toMatchObject({
      parent: { model, version: job.version },
      championVersion: job.version,
    });
    expect((await json(`${registry.url}/v1/models/${model}/aliases/production`)).version).toBe(job.version);
  }, 240_000);

  it('dead-letters recommender requests that can never succeed, with the reason', async () => {
    const { ratings } = writeDataset();
    const missing = await request({ modelName: `rec-bad-${RUN}`, datasetRef: 'file:///nowhere/ratings.csv' });
    const unknown = await request({ modelName: `rec-bad-${RUN}`, datasetRef: 'feature:orders' });
    const badHp = await request({
      modelName: `rec-bad-${RUN}`,
      datasetRef: `file://${ratings}`,
      hyperparameters: { objective: 'both' },
    });
    const letters = await eventually(async () => {
      const mine = (await readTopic(Topics.trainingRequests.deadLetter, DeadLetterSchema)).filter((l) =>
        [missing, unknown, badHp].includes(l.originalHeaders['event-id'] ?? ''),
      );
      return mine.length === 3 ? mine : undefined;
      // The request topic is shared: requests other specs publish meanwhile are handled first.
    }, 90_000);
    const byId = Object.fromEntries(letters.map((l) => [l.originalHeaders['event-id'], l]));
    expect(byId[missing]?.errorMessage).toMatch(/does not exist on the training host/);
    expect(byId[unknown]?.errorMessage).toMatch(/unknown feature dataset "orders"/);
    expect(byId[badHp]?.errorMessage).toMatch(/objective: expected explicit, implicit, sequential/);
    for (const l of letters) expect(l.reason).toBe('validation');
  }, 60_000);

  it('turns N new interactions of a tenant into exactly one retrain request, which trains on the feature dataset', async () => {
    const tenant = TENANT;
    const modelName = `recommender-${tenant}`;
    const interactions = Array.from({ length: RETRAIN_AFTER + 5 }, (_, i) => ({
      key: `user-${i % 7}`,
      eventId: `${tenant}-i-${i}`,
      value: create(InteractionSchema, {
        tenantId: tenant,
        interactionId: `${tenant}-i-${i}`,
        userId: `user-${i % 7}`,
        itemId: `i-${i % 11}`,
        type: InteractionType.CLICK,
        value: 1,
        occurredAt: timestampFromDate(new Date()),
        receivedAt: timestampFromDate(new Date()),
      }),
    }));
    // Delivered, then delivered again (a producer retry or replay): counted once.
    await send(Topics.interactionsRaw, interactions);
    await send(Topics.interactionsRaw, interactions);

    const requestId = `${modelName}-retrain-1`;
    // The model is the tenant's: the registry (development auth) answers for the tenant in this header.
    const asTenant = { headers: { 'x-mercato-tenant': tenant } };
    const production = await eventually(
      async () => {
        const res = await fetch(`${registry.url}/v1/models/${modelName}/aliases/production`, asTenant);
        return res.ok ? ((await res.json()) as { version: number }) : undefined;
      },
      120_000,
      `${modelName} in production`,
    );
    const version: any = await (
      await fetch(`${registry.url}/v1/models/${modelName}/versions/${production.version}`, asTenant)
    ).json();
    expect(version.metrics.hr_at_10_sampled99).toBeGreaterThan(
      version.metrics.baseline_popularity_hr_at_10_sampled99,
    );

    const requests = (await readTopic(Topics.trainingRequests.name, TrainingRequestSchema)).filter(
      (r) => r.modelName === modelName,
    );
    expect(requests).toHaveLength(1);
    const [req] = requests;
    expect(req).toMatchObject({
      requestId,
      tenantId: tenant,
      kind: ModelKind.RECOMMENDER,
      promoteIfBetter: true,
      requestedBy: 'retrain:interactions',
    });
    const ref = new URL(req?.datasetRef ?? '');
    expect(ref.protocol).toBe('feature:');
    const asOf = Date.parse(ref.searchParams.get('as_of') ?? '');
    const splitAt = Date.parse(ref.searchParams.get('split_at') ?? '');
    expect(asOf - splitAt).toBe(86_400_000);

    // The export was read with the service key, point in time and split as the request says.
    const call = featureCalls.find((c) => c.url.startsWith('/v1/datasets/interactions'));
    expect(call?.headers.authorization).toBe(`Bearer ${SERVICE_KEY}`);
    expect(call?.headers['x-mercato-tenant']).toBe(tenant);
    expect(call?.url).toContain(`as_of=${encodeURIComponent(new Date(asOf).toISOString())}`);
    expect(version.lineage).toMatchObject({
      trainingRequestId: requestId,
      requestedBy: 'retrain:interactions',
      split: 'given',
      tenantId: tenant,
      featureDataset: { asOf: new Date(asOf).toISOString(), splitAt: new Date(splitAt).toISOString() },
      // A retrain names no objective: the ranking default, the sequential two-tower model.
      hyperparameters: { objective: 'sequential' },
    });

    // The retrain is an experiment run of the tenant's, linked to the version it produced.
    const runs: any = await (await fetch(`${training.url}/v1/runs?model=${modelName}`, asTenant)).json();
    expect(runs.items).toEqual([
      expect.objectContaining({
        source: 'retrain',
        status: 'finished',
        requestId,
        registeredVersion: production.version,
      }),
    ]);
    expect(version.lineage.runId).toBe(runs.items[0].runId);

    // Fewer than N further interactions: no second request.
    await send(
      Topics.interactionsRaw,
      interactions.slice(0, 10).map((r, i) => ({
        ...r,
        eventId: `${tenant}-more-${i}`,
        value: { ...r.value, interactionId: `${tenant}-more-${i}` },
      })),
    );
    await new Promise((r) => setTimeout(r, 3_000));
    const after = (await readTopic(Topics.trainingRequests.name, TrainingRequestSchema)).filter(
      (r) => r.modelName === modelName,
    );
    expect(after).toHaveLength(1);
  }, 180_000);
});

/** Every record of a topic (all partitions, from the beginning), decoded. */
async function readTopic<S extends DescMessage>(topic: string, schema: S): Promise<MessageShape<S>[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
  const out: MessageShape<S>[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  let seen = 0;
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      if (message.value) out.push(fromBinary(schema, message.value));
    },
  });
  const deadline = Date.now() + 20_000;
  while (seen < end && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}
