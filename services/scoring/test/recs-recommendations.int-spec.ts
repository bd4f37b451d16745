// The scoring service's recommendations as real processes on the real broker and database: a model
// registry started here, recommender versions trained here on generateRetail() data and registered
// over HTTP, UserFeatures and CatalogItem records produced on the shared compacted topics (unique
// tenant, user and item ids), and scoring answering over HTTP and gRPC. The feature service is not
// started: its popular lists are unreachable, so users without history get the model's popularity
// (item biases), which is what scoring does whenever the feature service is down. Interactions are
// produced on interactions.raw.v1 as ingest would, for the online outcomes and the decisions on them.
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  Headers,
  InteractionType,
  ModelKind,
  RecommendationReason,
  RecommendationService,
  Topics,
  catalogItemKey,
} from '@mercato/contracts';
import { decode, encode } from '@mercato/kafka';
import { RegistryClient } from '@mercato/registry-client';
import {
  type RecommenderModel,
  selectBackend,
  type ArtifactFile,
  type Interaction,
  type RecommenderItem,
  type TF,
  loadRecommender,
  recommenderToArtifact,
  trainRecommender,
} from '@mercato/ml';
import { DEVELOPMENT_PSEUDONYMIZATION_KEY, Pseudonymizer } from '@mercato/privacy';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import { generateRetail, type GeneratedItem } from '@mercato/synthetic';
import { metricValue } from '@mercato/testing';
import type { Producer } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { warmUp, warmUpUsers } from '../src/recommendations/recommender.loader';

const suffix = uniqueSuffix();
const TENANT = `recs-it-${suffix}`;
const MODEL = `recommender-${TENANT}`;
const pseudonymizer = new Pseudonymizer(DEVELOPMENT_PSEUDONYMIZATION_KEY);
const pseudo = (rawUser: string): string => pseudonymizer.pseudonym(TENANT, rawUser);

const kafka = testKafka();
let tf: TF;
let db: TestDatabase;
let registry: ServiceProcess;
let scoring: ServiceProcess;
let registryClient: RegistryClient;
let producer: Producer;
let grpc: Client<typeof RecommendationService>;

// The tenant's catalog and history; ids carry the suffix so nothing else on the broker collides.
const retail = generateRetail({
  seed: 7,
  users: 120,
  items: 240,
  interactionsPerUser: 25,
  start: new Date('2026-02-01T00:00:00Z'),
  spacingMs: 60_000,
});
const itemId = (generated: string): string => `${suffix}-${generated}`;
const rawUser = (generated: string): string => `${suffix}-${generated}`;
const catalog: GeneratedItem[] = retail.items.map((i) => ({
  ...i,
  item_id: itemId(i.item_id),
  available: true,
}));
const history = retail.interactions.map((i) => ({
  ...i,
  user_id: rawUser(i.user_id),
  item_id: itemId(i.item_id),
}));
const modelItems: RecommenderItem[] = catalog.map((i) => ({
  item: i.item_id,
  text: `${i.title}. ${i.description}`,
  categories: i.categories,
}));
const trainingInteractions: Interaction[] = history.map((i) => ({
  user: pseudo(i.user_id),
  item: i.item_id,
  value: i.value,
  timestamp: Date.parse(i.timestamp),
}));
const users = [...new Set(history.map((i) => i.user_id))];
/** Items each user bought in the history (what the feature service would hold as purchased). */
const purchasesOf = (user: string): string[] => [
  ...new Set(history.filter((i) => i.user_id === user && i.type === 'purchase').map((i) => i.item_id)),
];
const recentOf = (user: string): string[] =>
  [...new Set(history.filter((i) => i.user_id === user).map((i) => i.item_id))].reverse().slice(0, 10);

const freePort = async (): Promise<string> => String(await freeTcpPort());

async function train(seed: number): Promise<RecommenderModel> {
  return trainRecommender(
    tf,
    { interactions: trainingInteractions, items: modelItems },
    { objective: 'implicit', dim: 16, epochs: 6, batchSize: 1024, seed },
  );
}

async function artifactOf(model: RecommenderModel): Promise<ArtifactFile[]> {
  const artifact = await recommenderToArtifact(tf, model, {
    backend: 'tensorflow',
    metrics: { hr_at_10: 0.5 },
    createdAt: new Date().toISOString(),
  });
  return artifact.files;
}

async function register(files: ArtifactFile[], key: string): Promise<number> {
  const registered = await registryClient.register(MODEL, {
    metrics: { hr_at_10: 0.5 },
    lineage: {
      datasetHash: `generateRetail-7-${suffix}`,
      codeVersion: 'recs-int-spec',
      backend: 'tensorflow',
    },
    idempotencyKey: `${key}-${suffix}`,
    files,
  });
  return registered.version;
}

async function promote(version: number, alias: 'production' | 'staging' | 'shadow'): Promise<void> {
  const promotion = await registryClient.promote(MODEL, {
    version,
    alias,
    reason: 'test',
    force: true,
  });
  expect(promotion.outcome).toBe('promoted');
}

const json = (files: ArtifactFile[], path: string): any =>
  JSON.parse(Buffer.from(files.find((f) => f.path === path)?.bytes ?? []).toString('utf8'));
const withFile = (files: ArtifactFile[], path: string, bytes: Uint8Array): ArtifactFile[] =>
  files.map((f) => (f.path === path ? { path, bytes } : f));

/**
 * A version that loads and passes warm-up but fails on real traffic: the learned vectors of the
 * given users are NaN (warm-up samples other users), so their requests produce non-finite scores.
 */
function poisonUsers(files: ArtifactFile[], poisoned: Set<string>): ArtifactFile[] {
  const manifest = json(files, 'manifest.json');
  const modelJson = json(files, 'model.json');
  const weights = modelJson.weightsManifest[0].weights as { name: string; shape: number[] }[];
  const bytes = Uint8Array.from(files.find((f) => f.path === 'weights.bin')?.bytes ?? []);
  const floats = new Float32Array(bytes.buffer);
  let offset = 0;
  for (const w of weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (w.name.startsWith('user_embedding')) {
      const dim = w.shape[1] as number;
      (manifest.extra.users as string[]).forEach((u, row) => {
        if (poisoned.has(u)) floats.fill(Number.NaN, offset + row * dim, offset + (row + 1) * dim);
      });
    }
    offset += size;
  }
  return withFile(files, 'weights.bin', new Uint8Array(floats.buffer));
}

/** A version whose tables do not match its id maps: it cannot load. */
function unloadable(files: ArtifactFile[]): ArtifactFile[] {
  const manifest = json(files, 'manifest.json');
  manifest.extra.users = (manifest.extra.users as string[]).slice(1);
  return withFile(files, 'manifest.json', Buffer.from(JSON.stringify(manifest)));
}

async function produceUserFeatures(user: string, recent: string[], purchased: string[]): Promise<void> {
  const key = pseudo(user);
  await producer.send({
    topic: Topics.userFeatures.name,
    messages: [
      {
        key,
        value: encode(Topics.userFeatures, {
          tenantId: TENANT,
          userId: key,
          recentItems: recent.map((id) => ({
            itemId: id,
            type: purchased.includes(id) ? InteractionType.PURCHASE : InteractionType.VIEW,
            at: timestampFromDate(new Date()),
          })),
          purchasedItemIds: purchased,
          interactionCount: BigInt(recent.length + purchased.length),
          updatedAt: timestampFromDate(new Date()),
        }),
        headers: { [Headers.eventId]: randomUUID(), [Headers.tenantId]: TENANT },
      },
    ],
  });
}

async function produceCatalog(items: GeneratedItem[]): Promise<void> {
  await producer.send({
    topic: Topics.catalogItems.name,
    messages: items.map((i) => ({
      key: catalogItemKey(TENANT, i.item_id),
      value: encode(Topics.catalogItems, {
        tenantId: TENANT,
        itemId: i.item_id,
        title: i.title,
        description: i.description,
        categories: i.categories,
        price: i.price,
        available: i.available,
        updatedAt: timestampFromDate(new Date()),
      }),
      headers: { [Headers.eventId]: randomUUID(), [Headers.tenantId]: TENANT },
    })),
  });
}

interface Answer {
  status: number;
  body: any;
}
async function recommend(user: string, query = ''): Promise<Answer> {
  const res = await fetch(`${scoring.url}/v1/users/${encodeURIComponent(user)}/recommendations${query}`);
  return { status: res.status, body: await res.json() };
}
const ids = (answer: Answer): string[] => (answer.body.items as { itemId: string }[]).map((i) => i.itemId);

async function status(): Promise<any> {
  return (await fetch(`${scoring.url}/v1/models/recommender`)).json();
}

const metric = (name: string, labels: Record<string, string> = {}): Promise<number> =>
  metricValue(scoring.url, name, labels);

const servedVersion = (alias: string, version: number) =>
  eventually(
    async () => ((await status())[alias]?.version === version ? true : undefined),
    30_000,
    `${alias} v${version} to be served`,
  );

// Users with purchases, and items the spec marks unavailable (popular ones, so they would rank).
const buyers = users.filter((u) => purchasesOf(u).length >= 2).slice(0, 40);
const unavailable = new Set(catalog.slice(0, 6).map((i) => i.item_id));
const newItem: GeneratedItem = {
  item_id: itemId('fresh-1'),
  title: 'Aurora espresso grinder',
  description: 'A brand-new grinder, never seen in training.',
  categories: [`launch-${suffix}`],
  price: 99,
  available: true,
};

let v1Model: RecommenderModel;
let v1: number;
let v2: number;
let scoringEnv: Record<string, string>;

beforeAll(async () => {
  tf = (await selectBackend('auto')).tf;
  db = await createTestDatabase('scoring');
  const brokers = requireEnv('KAFKA_BROKERS');
  registry = await startService('model-registry', {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    HTTP_PORT: await freePort(),
    OUTBOX_POLL_MS: '200',
    // Development auth: the test's own calls act for the tenant whose model scoring asks for.
    TENANT_ID: TENANT,
  });
  registryClient = new RegistryClient(registry.url);
  await registryClient.ensureModel(MODEL, 'recommender');
  v1Model = await train(1);
  v1 = await register(await artifactOf(v1Model), 'v1');
  await promote(v1, 'production');

  producer = kafka.producer();
  await producer.connect();
  await produceCatalog(catalog.map((i) => ({ ...i, available: !unavailable.has(i.item_id) })));
  for (const user of buyers) await produceUserFeatures(user, recentOf(user), purchasesOf(user));

  const grpcPort = await freePort();
  scoringEnv = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: brokers,
    KAFKA_CONSUMER_GROUP: `mercato-scoring-recs-it-${suffix}`,
    HTTP_PORT: await freePort(),
    GRPC_PORT: grpcPort,
    TENANT_ID: TENANT,
    MODEL_REGISTRY_URL: registry.url,
    SENTIMENT_MODEL_NAME: `sentiment-recs-it-${suffix}`,
    // Unreachable: the popular lists fall back to the model's item biases.
    FEATURE_URL: `http://127.0.0.1:${await freePort()}`,
    // Every swap in this spec comes from a lifecycle event.
    MODEL_POLL_INTERVAL_MS: '600000',
    RECS_STAGING_SHARE: '0.5',
    RECS_SHADOW_SHARE: '1',
    RECS_ROLLBACK_MIN_REQUESTS: '5',
    RECS_ROLLBACK_ERROR_RATE: '0.2',
  };
  scoring = await startService('scoring', scoringEnv, 90_000);
  grpc = createClient(
    RecommendationService,
    createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` }),
  );
  await servedVersion('production', v1);
  await eventually(
    async () => (scoring.output().includes('recommendation state listener joined') ? true : undefined),
    30_000,
    'the state listener to join',
  );
}, 240_000);

afterAll(async () => {
  await producer?.disconnect();
  await scoring?.stop();
  await registry?.stop();
  await db?.drop();
});

describe('scoring: recommendations', () => {
  it('answers a known user with personalized items that never include their purchases', async () => {
    for (const user of buyers.slice(0, 10)) {
      const answer = await recommend(user, '?k=20');
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ modelName: MODEL, modelVersion: v1 });
      expect(['production', 'staging']).toContain(answer.body.variant);
      expect(answer.body.items).toHaveLength(20);
      expect(answer.body.items[0].reason).toBe('personalized');
      const scores = (answer.body.items as { score: number }[]).map((i) => i.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      for (const bought of purchasesOf(user)) expect(ids(answer)).not.toContain(bought);
    }
    // exclude=seen also leaves out what the user viewed recently.
    const user = buyers[0] as string;
    const seen = await recommend(user, '?k=50&exclude=purchased,seen');
    for (const item of recentOf(user)) expect(ids(seen)).not.toContain(item);
  });

  it('changes the next answer within 2 s of a new purchase, and never returns the purchase', async () => {
    const user = buyers[1] as string;
    const before = await recommend(user);
    const top = ids(before)[0] as string;
    const purchased = [...purchasesOf(user), top];
    const sent = Date.now();
    await produceUserFeatures(user, [top, ...recentOf(user)], purchased);
    const after = await eventually(
      async () => {
        const answer = await recommend(user);
        return ids(answer).includes(top) ? undefined : answer;
      },
      2_000,
      'the purchase to leave the recommendations',
    );
    expect(Date.now() - sent).toBeLessThan(2_000);
    expect(ids(after)).not.toEqual(ids(before));
    for (let i = 0; i < 5; i++) expect(ids(await recommend(user, '?k=100'))).not.toContain(top);
  });

  it('gives an unknown user popular items with the reason, by category when asked', async () => {
    const stranger = await recommend(`${suffix}-nobody`);
    expect(stranger.status).toBe(200);
    expect(stranger.body.items).toHaveLength(10);
    expect(stranger.body.items.every((i: { reason: string }) => i.reason === 'popular')).toBe(true);
    const category = catalog[10]?.categories[0] as string;
    const inCategory = await recommend(`${suffix}-nobody`, `?k=15&category=${encodeURIComponent(category)}`);
    expect(inCategory.body.items).toHaveLength(15);
    const categoryOf = new Map(catalog.map((i) => [i.item_id, i.categories[0]]));
    for (const item of ids(inCategory)) expect(categoryOf.get(item)).toBe(category);
  });

  it('never returns unavailable items, including ones withdrawn while serving', async () => {
    for (const user of [...buyers.slice(0, 15), `${suffix}-nobody`]) {
      const answer = await recommend(user, '?k=100');
      for (const item of ids(answer)) expect(unavailable.has(item)).toBe(false);
    }
    const user = buyers[2] as string;
    const withdrawn = ids(await recommend(user))[0] as string;
    await produceCatalog([
      { ...(catalog.find((i) => i.item_id === withdrawn) as GeneratedItem), available: false },
    ]);
    unavailable.add(withdrawn);
    await eventually(
      async () => (ids(await recommend(user, '?k=100')).includes(withdrawn) ? undefined : true),
      5_000,
      'the withdrawn item to leave the recommendations',
    );
  });

  it('serves a new catalog item from its text features', async () => {
    await produceCatalog([newItem]);
    const answer = await eventually(
      async () => {
        const a = await recommend(
          `${suffix}-nobody`,
          `?category=${encodeURIComponent(newItem.categories[0] as string)}`,
        );
        return a.body.items?.length > 0 ? a : undefined;
      },
      5_000,
      'the new item to be served',
    );
    expect(ids(answer)).toEqual([newItem.item_id]);
    expect(Number.isFinite(answer.body.items[0].score)).toBe(true);
  });

  it('refuses bad input with 400, naming the field and the reason', async () => {
    const cases: [string, string, string][] = [
      [buyers[0] as string, '?k=0', 'k'],
      [buyers[0] as string, '?k=101', 'k'],
      [buyers[0] as string, '?k=ten', 'k'],
      [buyers[0] as string, '?k=2.5', 'k'],
      ['-starts-with-dash', '', 'userId'],
      ['bad user', '', 'userId'],
      [buyers[0] as string, '?category=%21%21', 'category'],
      [buyers[0] as string, '?exclude=purchased,bought', 'exclude[1]'],
    ];
    for (const [user, query, field] of cases) {
      const answer = await recommend(user, query);
      expect(answer.status, `${user.slice(0, 20)}${query}`).toBe(400);
      expect(answer.body.message).toBe('invalid request');
      expect(answer.body.errors).toEqual([expect.objectContaining({ field, reason: expect.any(String) })]);
    }
    // Fastify refuses path parameters over 100 characters before routing; gRPC names the field.
    expect((await recommend('x'.repeat(101))).status).toBe(414);
  });

  it('answers the same over gRPC as over HTTP', async () => {
    for (const user of [...buyers.slice(3, 8), `${suffix}-nobody`]) {
      const http = await recommend(user, '?k=12&exclude=seen');
      const rpc = await grpc.getRecommendations({ userId: user, k: 12, exclude: ['seen'] });
      expect(rpc.items.map((i) => i.itemId)).toEqual(ids(http));
      expect(rpc.items.map((i) => RecommendationReason[i.reason].toLowerCase())).toEqual(
        http.body.items.map((i: { reason: string }) => i.reason),
      );
      expect(rpc.modelName).toBe(MODEL);
      expect(rpc.modelVersion).toBe(String(http.body.modelVersion));
      expect(rpc.variant).toBe(http.body.variant);
    }
    await expect(grpc.getRecommendations({ userId: buyers[0] as string, k: 101 })).rejects.toThrow(
      /invalid_argument.*k: must be an integer from 1 to 100/i,
    );
    await expect(grpc.getRecommendations({ userId: 'bad user' })).rejects.toThrow(/userId/);
    await expect(grpc.getRecommendations({ userId: 'x'.repeat(101) })).rejects.toThrow(
      /userId: must be 1 to 100/,
    );
  });

  it('swaps to a promoted version, refuses one that cannot load, and rolls back one that fails requests', async () => {
    v2 = await register(await artifactOf(await train(2)), 'v2');
    await promote(v2, 'production');
    await servedVersion('production', v2);
    const user = buyers[4] as string;
    expect((await recommend(user)).body.modelVersion).toBe(v2);

    // A version that cannot load is refused; v2 keeps serving without a failed request.
    const broken = await register(unloadable(await artifactOf(await train(3))), 'unloadable');
    await promote(broken, 'production');
    await eventually(
      async () => ((await status()).production.lastRefused?.version === broken ? true : undefined),
      30_000,
      'the unloadable version to be refused',
    );
    expect((await status()).production).toMatchObject({
      version: v2,
      lastRefused: { version: broken, reason: 'invalid_model' },
    });
    expect(
      await metric('mercato_recs_model_swap_failures_total', { reason: 'invalid_model' }),
    ).toBeGreaterThanOrEqual(1);
    expect((await recommend(user)).status).toBe(200);

    // A version that loads and warms up but fails on real users is rolled back to v2.
    const v4Model = await train(4);
    const sampled = new Set(warmUpUsers(v4Model));
    const victims = buyers
      .slice(15)
      .filter((u) => !sampled.has(pseudo(u)))
      .slice(0, 20);
    expect(victims.length).toBeGreaterThanOrEqual(10);
    const failing = poisonUsers(await artifactOf(v4Model), new Set(victims.map(pseudo)));
    const probe = await loadRecommender(tf, { files: failing });
    expect(() => warmUp(probe)).not.toThrow();
    const bad = await register(failing, 'failing');
    await promote(bad, 'production');
    await servedVersion('production', bad);
    const statuses: number[] = [];
    for (const u of victims) statuses.push((await recommend(u)).status);
    expect(statuses.filter((s) => s === 500).length).toBeGreaterThanOrEqual(5);
    await servedVersion('production', v2);
    expect((await status()).production).toMatchObject({
      version: v2,
      rollbacks: 1,
      lastRefused: { version: bad, reason: 'request_errors' },
    });
    expect(await metric('mercato_recs_model_rollbacks_total')).toBe(1);
    await eventually(
      async () =>
        scoring.output().includes('recommender rolled back: the new version failed requests')
          ? true
          : undefined,
      5_000,
      'the rollback to be logged',
    );
    for (const u of victims) expect((await recommend(u)).body.modelVersion).toBe(v2);
    // The registry's alias is moved back too, so a restart or a new replica does not load it again.
    await eventually(
      async () => ((await registryClient.resolveAlias(MODEL, 'production')) === v2 ? true : undefined),
      10_000,
      'the registry to roll production back to v2',
    );
    const history = await (
      await fetch(`${registry.url}/v1/models/${MODEL}/aliases/production/history`)
    ).json();
    expect(JSON.stringify(history)).toContain('scoring@');
  }, 120_000);

  it('routes a sticky share of users to staging and mirrors to shadow without changing responses', async () => {
    const sample = users.slice(0, 60);
    const before = new Map<string, string[]>();
    for (const user of sample) before.set(user, ids(await recommend(user)));

    // Shadow: v1 mirrors every request; what users get does not change.
    await promote(v1, 'shadow');
    await servedVersion('shadow', v1);
    const mirroredBefore = await metric('mercato_recs_shadow_requests_total', { outcome: 'ok' });
    for (const user of sample) expect(ids(await recommend(user))).toEqual(before.get(user));
    await eventually(
      async () =>
        (await metric('mercato_recs_shadow_requests_total', { outcome: 'ok' })) >=
        mirroredBefore + sample.length
          ? true
          : undefined,
      5_000,
      'the mirrored requests to be compared',
    );
    expect(await metric('mercato_recs_shadow_overlap_ratio_count')).toBeGreaterThanOrEqual(sample.length);

    // Staging: about half the users, each always on the same variant.
    await promote(v1, 'staging');
    await servedVersion('staging', v1);
    const variantOf = new Map<string, string>();
    for (const user of sample) {
      const answer = await recommend(user);
      variantOf.set(user, answer.body.variant);
      expect(answer.body.modelVersion).toBe(answer.body.variant === 'staging' ? v1 : v2);
    }
    const staged = [...variantOf.values()].filter((v) => v === 'staging').length;
    expect(staged).toBeGreaterThan(sample.length * 0.25);
    expect(staged).toBeLessThan(sample.length * 0.75);
    for (const user of sample) {
      expect((await recommend(user)).body.variant).toBe(variantOf.get(user));
      const rpc = await grpc.getRecommendations({ userId: user, k: 10 });
      expect(rpc.variant).toBe(variantOf.get(user));
    }
    expect(await metric('mercato_recs_requests_total', { variant: 'staging' })).toBeGreaterThan(0);
    expect(await metric('mercato_recs_request_seconds_count', { variant: 'staging' })).toBeGreaterThan(0);
  }, 60_000);

  it('drains gRPC and HTTP on SIGTERM: calls in flight finish, then the process exits cleanly', async () => {
    const user = buyers[5] as string;
    // The HTTP/2 session is open; the calls are on the wire before the signal.
    await grpc.getRecommendations({ userId: user, k: 10 });
    const inFlight = Array.from({ length: 50 }, (_, i) =>
      grpc.getRecommendations({ userId: user, k: 1 + (i % 100) }),
    );
    await new Promise((r) => setTimeout(r, 20));
    const exit = scoring.stop();
    const settled = await Promise.allSettled(inFlight);
    const answered = settled.filter((s) => s.status === 'fulfilled');
    // Calls sent before the GOAWAY are answered; any refused afterwards fail cleanly as unavailable.
    expect(answered.length).toBeGreaterThan(0);
    for (const s of settled)
      if (s.status === 'rejected') expect(String(s.reason)).toMatch(/unavailable|canceled|GOAWAY/i);
    expect(await exit).toBe(0);
    // The process has exited, so its output is complete.
    expect(scoring.output()).toContain('gRPC drained');
  });
});

describe('scoring: restart under load', () => {
  interface Attempt {
    user: string;
    started: number;
    ended: number;
    status?: number;
    items?: string[];
    error?: string;
  }

  it('answers every request it accepted; clients see errors only until the new process is ready, then nothing is lost', async () => {
    if (scoring.child.exitCode === null) await scoring.stop();
    scoring = await startService('scoring', scoringEnv, 90_000);
    const url = scoring.url;
    const shoppers = buyers.slice(10, 30);
    const buyer = shoppers[0] as string;
    const attempts: Attempt[] = [];
    let running = true;
    let logical = 0;
    let answered = 0;
    let next = 0;
    // A client that retries a refused or failed request until it is answered, as a retail backend does.
    const client = async (): Promise<void> => {
      while (running) {
        const user = shoppers[next++ % shoppers.length] as string;
        logical++;
        for (;;) {
          const attempt: Attempt = { user, started: Date.now(), ended: 0 };
          attempts.push(attempt);
          try {
            const res = await fetch(`${url}/v1/users/${encodeURIComponent(user)}/recommendations?k=10`);
            const body = (await res.json()) as { items?: { itemId: string }[] };
            attempt.status = res.status;
            attempt.items = body.items?.map((i) => i.itemId);
          } catch (err) {
            const cause = (err as { cause?: { code?: string; message?: string } }).cause;
            attempt.error = cause?.code ?? cause?.message ?? String(err);
          }
          attempt.ended = Date.now();
          if (attempt.status === 200) {
            answered++;
            break;
          }
          // The spec has stopped the load (it failed): the request stays unanswered.
          if (!running) break;
          await new Promise((r) => setTimeout(r, 25));
        }
      }
    };
    const clients = Array.from({ length: 8 }, client);
    const bought = catalog.find((i) => !unavailable.has(i.item_id) && !purchasesOf(buyer).includes(i.item_id))
      ?.item_id as string;
    let signalled: number;
    let exitedAt: number;
    let readyAt: number;
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      signalled = Date.now();
      const exit = scoring.stop();
      // A purchase while no replica is serving: the new one must know it before it answers anybody.
      await produceUserFeatures(buyer, [bought, ...recentOf(buyer)], [...purchasesOf(buyer), bought]);
      expect(await exit).toBe(0);
      exitedAt = Date.now();
      scoring = await startService('scoring', scoringEnv, 90_000);
      readyAt = Date.now();
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      running = false;
      await Promise.all(clients);
    }

    // Nothing lost: every request a client made was answered, each with a full, valid list.
    expect(answered).toBe(logical);
    const ok = attempts.filter((a) => a.status === 200);
    for (const a of ok) {
      expect(a.items).toHaveLength(10);
      for (const item of purchasesOf(a.user)) expect(a.items).not.toContain(item);
    }
    // Refusals are 503s while draining or loading, or connections refused while no process listens.
    const failed = attempts.filter((a) => a.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const a of failed) {
      if (a.status !== undefined) expect(a.status).toBe(503);
      else expect(a.error).toMatch(/ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|other side closed/);
    }
    // Clients see errors only during the restart: none before the signal, none once the new one is ready.
    for (const a of failed) {
      expect(a.started).toBeGreaterThanOrEqual(signalled - 20);
      expect(a.started).toBeLessThanOrEqual(readyAt);
    }
    // Served before the signal and after the restart, in volume.
    expect(ok.filter((a) => a.ended < signalled).length).toBeGreaterThan(50);
    expect(ok.filter((a) => a.started > readyAt).length).toBeGreaterThan(50);
    // The purchase made while the service was down is never recommended by the new process.
    const afterRestart = ok.filter((a) => a.user === buyer && a.started > exitedAt);
    expect(afterRestart.length).toBeGreaterThan(0);
    for (const a of afterRestart) expect(a.items).not.toContain(bought);
  }, 240_000);
});

describe('scoring: online outcomes, shadow judgement and rollback on hit rate', () => {
  // Short windows, so the outcomes of a burst of answers resolve within seconds; one answer per user
  // per round, and every mirrored answer is a pair the shadow is judged on.
  const ROUND = buyers.slice(0, 40);
  const CLICKERS = ROUND.slice(0, 20);
  const onlineEnv = () => ({
    ...scoringEnv,
    RECS_STAGING_SHARE: '0',
    RECS_SHADOW_SHARE: '1',
    RECS_OUTCOME_WINDOW_MS: '3000',
    RECS_MONITORING_INTERVAL_MS: '1000',
    RECS_SHADOW_MIN_ANSWERS: String(ROUND.length),
    RECS_ROLLBACK_MIN_ANSWERS: String(ROUND.length),
    RECS_ROLLBACK_HIT_RATE_MARGIN: '0.05',
  });

  /** One answer (k=10) per user of the round; the clickers then click the 10th item they were shown. */
  async function round(expectVersion: number, click: boolean): Promise<void> {
    const answers = new Map<string, string[]>();
    for (const user of ROUND) {
      const answer = await recommend(user, '?k=10');
      expect(answer.body.modelVersion).toBe(expectVersion);
      answers.set(user, ids(answer));
    }
    if (!click) return;
    await producer.send({
      topic: Topics.interactionsRaw.name,
      messages: CLICKERS.map((user) => ({
        key: pseudo(user),
        value: encode(Topics.interactionsRaw, {
          tenantId: TENANT,
          interactionId: randomUUID(),
          userId: pseudo(user),
          itemId: answers.get(user)?.[9] as string,
          type: InteractionType.CLICK,
          occurredAt: timestampFromDate(new Date()),
          receivedAt: timestampFromDate(new Date()),
        }),
        headers: { [Headers.eventId]: randomUUID(), [Headers.tenantId]: TENANT },
      })),
    });
  }

  const productionHistory = async (): Promise<any[]> => {
    const res = await fetch(`${registry.url}/v1/models/${MODEL}/aliases/production/history`);
    return ((await res.json()) as { items: any[] }).items;
  };
  const onlineDecision = (toVersion: number, action: string) =>
    eventually(
      async () =>
        (await productionHistory()).find(
          (h) =>
            h.toVersion === toVersion && h.action === action && h.decision?.championMeasuredOn === 'online',
        ),
      20_000,
      `the online decision (${action}) about v${toVersion}`,
    );

  it('measures hit rate, coverage and popularity bias, rejects a worse shadow, promotes an equal one, and rolls back a worse production', async () => {
    if (scoring.child.exitCode === null) await scoring.stop();
    // Production v2 and shadow v1 (the tests above left them so).
    expect(await registryClient.resolveAlias(MODEL, 'production')).toBe(v2);
    expect(await registryClient.resolveAlias(MODEL, 'shadow')).toBe(v1);
    const monitoring = kafka.consumer({ groupId: `recs-it-monitoring-${suffix}` });
    const events: any[] = [];
    await monitoring.connect();
    await monitoring.subscribe({ topics: [Topics.modelMonitoring.name], fromBeginning: true });
    await monitoring.run({
      eachMessage: async ({ message }) => {
        const event = decode(Topics.modelMonitoring, message.value, message.headers);
        if (event.tenantId === TENANT) events.push(event);
      },
    });
    try {
      scoring = await startService('scoring', onlineEnv(), 90_000);
      await servedVersion('production', v2);
      await servedVersion('shadow', v1);
      await eventually(
        async () => (scoring.output().includes('recommendation state listener joined') ? true : undefined),
        30_000,
        'the state listener to join',
      );

      // Half the users click an item they were shown: production's hit rate is 0.5, published per window.
      await round(v2, true);
      const production = await eventually(
        async () => {
          const ours = events.filter((e) => e.alias === 'production' && e.version === String(v2));
          const answers = ours.reduce((n, e) => n + e.figures.answers, 0);
          return answers >= ROUND.length ? ours : undefined;
        },
        20_000,
        "production's outcome events",
      );
      expect(production.reduce((n, e) => n + e.figures.hits, 0)).toBe(CLICKERS.length);
      expect(production[0]).toMatchObject({ modelName: MODEL, kind: ModelKind.RECOMMENDER, drifted: [] });
      const served = production.find((e) => e.figures.coverage !== undefined);
      expect(served.figures.coverage).toBeGreaterThan(0);
      expect(served.figures.coverage).toBeLessThanOrEqual(1);
      expect(served.figures.popularity_percentile).toBeGreaterThan(0);
      expect(served.figures.popularity_percentile).toBeLessThan(1);
      expect(
        await metric('mercato_recs_outcome_answers_total', { alias: 'production', version: String(v2) }),
      ).toBe(ROUND.length);
      expect(
        await metric('mercato_recs_outcome_hits_total', {
          alias: 'production',
          version: String(v2),
          outcome: 'hit',
        }),
      ).toBe(CLICKERS.length);

      // Shadow v1's lists, on the same requests, held fewer of the clicked items: rejected, with figures.
      const rejected = await onlineDecision(v1, 'rejected');
      expect(rejected.decision).toMatchObject({
        promote: false,
        championValue: 0.5,
        sample: ROUND.length,
        policy: { metric: 'online_hit_rate', minSample: ROUND.length },
      });
      expect(rejected.decision.challengerValue).toBeLessThan(0.5);
      expect(rejected.fromVersion).toBe(v2);
      expect(events.some((e) => e.alias === 'shadow' && e.figures.champion_hit_rate !== undefined)).toBe(
        true,
      );
      await eventually(
        async () => ((await status()).shadow.version === null ? true : undefined),
        10_000,
        'the rejected shadow to stop being mirrored',
      );
      expect(await registryClient.resolveAlias(MODEL, 'production')).toBe(v2);
      // After a restart the registry's decision stands: the shadow alias still names v1, but it is
      // not mirrored again.
      await scoring.stop();
      scoring = await startService('scoring', onlineEnv(), 90_000);
      await servedVersion('production', v2);
      await eventually(
        async () =>
          scoring.output().includes('the registry already holds its online decision') &&
          (await status()).shadow.version === null
            ? true
            : undefined,
        30_000,
        'the judged shadow to be stopped at load',
      );
      await eventually(
        async () => (scoring.output().includes('recommendation state listener joined') ? true : undefined),
        30_000,
        'the state listener to join',
      );

      // v3 ranks exactly as v2 (the same artifact): at least as good online, so it is promoted.
      const { files } = await registryClient.download(MODEL, v2);
      const v3 = await register(files, 'v3-same-as-v2');
      await promote(v3, 'shadow');
      await servedVersion('shadow', v3);
      await round(v2, true);
      const promoted = await onlineDecision(v3, 'promote');
      expect(promoted.decision).toMatchObject({
        promote: true,
        challengerValue: 0.5,
        championValue: 0.5,
        improvement: 0,
        sample: ROUND.length,
      });
      await servedVersion('production', v3);

      // Nobody clicks what v3 serves: its hit rate (0) is below v2's (0.5) by more than the margin.
      await round(v3, false);
      await servedVersion('production', v2);
      expect((await status()).production).toMatchObject({
        version: v2,
        lastRefused: { version: v3, reason: 'online_hit_rate' },
      });
      expect(await metric('mercato_recs_model_rollbacks_total', { reason: 'online_hit_rate' })).toBe(1);
      const rolledBack = await onlineDecision(v2, 'promote');
      expect(rolledBack.fromVersion).toBe(v3);
      expect(rolledBack.decision).toMatchObject({ promote: true, challengerValue: 0.5, championValue: 0 });
      expect(rolledBack.reason).toContain('scoring@');
      expect(await registryClient.resolveAlias(MODEL, 'production')).toBe(v2);
    } finally {
      await monitoring.disconnect();
    }
  }, 180_000);
});
