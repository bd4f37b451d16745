// Real-time recommendations end to end on the real stack (issues 5 and 16), as a retail backend uses
// it: the five services as processes (ingest, feature, training, model-registry, scoring) on one
// fresh database and the shared broker, every consumer group started at the end of the shared topics,
// one tenant of this run's own. A generated catalog and interaction history go in through ingest's
// public API (raw user ids: ingest pseudonymizes them); the feature service keeps the online and
// offline stores; with nobody asking, the retraining trigger (on, as `mercato up` and the chart have
// it) trains the tenant's recommender from the feature service's point-in-time export, registers and
// promotes it, and scoring loads it and answers with its version. `mercato train recommender` without
// --data then trains from the same feature store through the training service. A user's new
// purchase, sent to ingest, changes their recommendations within 2 s, and purchased items never
// come back. A second day of interactions then triggers a second retrain, whose challenger goes to
// the shadow alias; scoring mirrors requests to it, follows the clicks that come in through ingest,
// and has the registry promote or reject it on the online hit rates, all without a command.
import {
  REPO_ROOT,
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
  freePort as freeTcpPort,
} from '@mercato/dev-stack';
import { generateRetail } from '@mercato/synthetic';
import { Topics } from '@mercato/contracts';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');

const RUN = uniqueSuffix();
const TENANT = `e2e-recs-${RUN}`;
const MODEL = `recommender-${TENANT}`;
const HOUR = 3_600_000;

type Name = 'model-registry' | 'feature' | 'training' | 'ingest' | 'scoring';
const services = {} as Record<Name, ServiceProcess>;
let db: TestDatabase;

const freePort = async (): Promise<string> => String(await freeTcpPort());
const run = promisify(execFile);

// Interleaved in time (every user's k-th interaction before anyone's k+1-th), so the time-based split
// holds out the latest interactions of every user rather than whole users.
const USERS = 80;
const PER_USER = 25;
const HOLDOUT_ROUNDS = 3;
/** Users asked (once each) while the retrained challenger is in shadow: its minimum sample. */
const SHADOW_ROUND = 40;
const retail = generateRetail({
  seed: 21,
  users: USERS,
  items: 200,
  interactionsPerUser: PER_USER,
  start: new Date(0),
  spacingMs: 1,
});
const itemId = (id: string): string => `${RUN}-${id}`;
const userId = (id: string): string => `${RUN}-${id}`;
const historyStart = Date.now() - 48 * HOUR;
const history = retail.interactions.map((r, i) => {
  const user = Math.floor(i / PER_USER);
  const k = i % PER_USER;
  return {
    user_id: userId(r.user_id),
    item_id: itemId(r.item_id),
    type: r.type,
    ...(r.type === 'rating' ? { value: r.value } : {}),
    timestamp: new Date(historyStart + (k * USERS + user) * 60_000).toISOString(),
  };
});
const catalog = retail.items.map((it) => ({
  item_id: itemId(it.item_id),
  title: it.title,
  description: it.description,
  categories: it.categories,
  price: it.price,
  available: true,
}));
const purchasesOf = (user: string): Set<string> =>
  new Set(history.filter((r) => r.user_id === user && r.type === 'purchase').map((r) => r.item_id));

async function send(service: Name, method: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${services[service].url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
  return json;
}

async function getJson(service: Name, path: string): Promise<any> {
  const res = await fetch(`${services[service].url}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res.json();
}

/** The n-th triggered retrain of the tenant's recommender, once it has succeeded (it failing fails the spec). */
const retrainJob = (n: number): Promise<any> =>
  eventually(
    async () => {
      const jobs: any = await getJson('training', '/v1/jobs').catch(() => undefined);
      const job = jobs?.items?.find((j: any) => j.requestId === `${MODEL}-retrain-${n}`);
      if (job?.status === 'failed') throw new Error(`retrain failed: ${job.error}`);
      return job?.status === 'succeeded' ? job : undefined;
    },
    240_000,
    `triggered retrain ${n}`,
  );

const recommend = async (user: string, query = ''): Promise<{ itemId: string; reason: string }[]> =>
  (await getJson('scoring', `/v1/users/${encodeURIComponent(user)}/recommendations${query}`)).items;

beforeAll(async () => {
  db = await createTestDatabase('e2e_recs');
  const kafka = testKafka();
  const groups = {
    feature: `e2e-recs-feature-${RUN}`,
    training: `e2e-recs-training-${RUN}`,
    scoring: `e2e-recs-scoring-${RUN}`,
  };
  await startGroupAtEnd(kafka, groups.feature, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, groups.training, [Topics.trainingRequests.name, Topics.interactionsRaw.name]);
  await startGroupAtEnd(kafka, groups.scoring, [Topics.newsEnriched.name]);
  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    TENANT_ID: TENANT,
    LOG_LEVEL: 'warn',
  };
  services['model-registry'] = await startService('model-registry', {
    ...common,
    HTTP_PORT: await freePort(),
  });
  const registryUrl = services['model-registry'].url;
  services.feature = await startService('feature', {
    ...common,
    HTTP_PORT: await freePort(),
    KAFKA_CONSUMER_GROUP: groups.feature,
  });
  const featureUrl = services.feature.url;
  const started = await Promise.all([
    startService('ingest', { ...common, HTTP_PORT: await freePort() }),
    startService('training', {
      ...common,
      HTTP_PORT: await freePort(),
      KAFKA_CONSUMER_GROUP: groups.training,
      MODEL_REGISTRY_URL: registryUrl,
      FEATURE_URL: featureUrl,
      // The trigger fires once the whole history is counted, and holds out its last day (the default).
      RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: String(history.length),
      RECOMMENDER_RETRAIN_TENANTS: TENANT,
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
        SENTIMENT_MODEL_NAME: `sentiment-${TENANT}`,
        MODEL_POLL_INTERVAL_MS: '2000',
        RECS_POPULAR_POLL_MS: '1000',
        // The shadow stage, compressed: every request mirrored, outcomes resolved within seconds.
        RECS_SHADOW_SHARE: '1',
        RECS_OUTCOME_WINDOW_MS: '4000',
        RECS_MONITORING_INTERVAL_MS: '1000',
        RECS_SHADOW_MIN_ANSWERS: String(SHADOW_ROUND),
      },
      120_000,
    ),
  ]);
  [services.ingest, services.training, services.scoring] = started;
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.stop()));
  await db?.drop();
});

describe('recommendations end to end', () => {
  it('ingests, retrains on its own from the feature store, serves, and reacts to a purchase within 2 s', async () => {
    // Catalog and history through ingest's public API.
    const items = await send('ingest', 'PUT', '/v1/catalog/items', { items: catalog });
    expect(items.accepted).toBe(catalog.length);
    for (let i = 0; i < history.length; i += 500) {
      const batch = history.slice(i, i + 500);
      const res = await send('ingest', 'POST', '/v1/interactions', { interactions: batch });
      expect(res.accepted).toBe(batch.length);
    }

    // Nobody submits a job: the retraining trigger sees the tenant's new interactions, trains from the
    // feature store, and the first version is promoted (no production to beat yet).
    const retrain = await retrainJob(1);
    expect(retrain).toMatchObject({ model: MODEL, version: 1, promotion: { outcome: 'promoted' } });
    const v1 = await getJson('model-registry', `/v1/models/${MODEL}/versions/1`);
    expect(v1.lineage).toMatchObject({ requestedBy: 'retrain:interactions', split: 'given' });
    // The history spans 48 h to 15 h ago: its part in the last day is held out.
    expect(v1.lineage.testExamples).toBeGreaterThan(0);
    expect(v1.lineage.trainExamples).toBeGreaterThan(v1.lineage.testExamples);
    await eventually(
      async () =>
        (await getJson('scoring', '/v1/models/recommender')).production.version === 1 ? true : undefined,
      60_000,
      'scoring to serve the promoted recommender',
    );

    // `mercato train recommender` without --data: the same feature store through the training service.
    const splitAt = new Date(historyStart + (PER_USER - HOLDOUT_ROUNDS) * USERS * 60_000).toISOString();
    const cli = await run(
      process.execPath,
      [
        CLI,
        'train',
        'recommender',
        '--split-at',
        splitAt,
        '--objective',
        'implicit',
        '--epochs',
        '8',
        '--hp',
        'dim=16',
        '--json',
      ],
      {
        env: {
          ...process.env,
          TRAINING_URL: services.training.url,
          MODEL_REGISTRY_URL: services['model-registry'].url,
          TENANT_ID: TENANT,
        },
      },
    );
    const done = JSON.parse(cli.stdout);
    expect(done).toMatchObject({ status: 'succeeded', version: 2 });
    expect(done.championMetrics.hr_at_10_sampled99).toEqual(expect.any(Number));
    const v2 = await getJson('model-registry', `/v1/models/${MODEL}/versions/2`);
    expect(v2.lineage).toMatchObject({
      datasetRef: `feature:interactions?split_at=${encodeURIComponent(splitAt)}`,
      featureDataset: { splitAt },
      split: 'given',
      testExamples: HOLDOUT_ROUNDS * USERS,
    });
    expect(v2.lineage.trainExamples).toBe(history.length - HOLDOUT_ROUNDS * USERS);

    // A known user: personalized, none of their purchases.
    const buyer = [...new Set(history.map((r) => r.user_id))].find((u) => purchasesOf(u).size >= 2) as string;
    await eventually(
      async () => ((await recommend(buyer))[0]?.reason === 'personalized' ? true : undefined),
      10_000,
      "the buyer's features to reach scoring",
    );
    const answer = await getJson('scoring', `/v1/users/${encodeURIComponent(buyer)}/recommendations`);
    expect(answer).toMatchObject({ modelName: MODEL, modelVersion: expect.any(Number) });
    const before = await recommend(buyer, '?k=20');
    expect(before).toHaveLength(20);
    for (const item of before) expect(purchasesOf(buyer).has(item.itemId)).toBe(false);

    // A new purchase of the top item through ingest changes the next answer within 2 s.
    const bought = before[0]?.itemId as string;
    const sentAt = Date.now();
    await send('ingest', 'POST', '/v1/interactions', {
      interactions: [
        { user_id: buyer, item_id: bought, type: 'purchase', timestamp: new Date().toISOString() },
      ],
    });
    await eventually(
      async () => ((await recommend(buyer, '?k=20')).some((i) => i.itemId === bought) ? undefined : true),
      2_000,
      'the purchase to change the recommendations',
    );
    expect(Date.now() - sentAt).toBeLessThan(2_000);

    // Purchased items never come back, whatever the request.
    const purchased = new Set([...purchasesOf(buyer), bought]);
    for (const query of ['?k=100', '?k=100&exclude=seen', '?k=50&exclude=purchased']) {
      for (const item of await recommend(buyer, query)) expect(purchased.has(item.itemId)).toBe(false);
    }

    // A user the stack has never seen gets popular items (the feature service's lists).
    const stranger = await recommend(`${RUN}-stranger`);
    expect(stranger.length).toBeGreaterThan(0);
    expect(stranger.every((i) => i.reason === 'popular')).toBe(true);
  }, 420_000);

  it('sends the next retrain to shadow, compares it online with production and decides, without a command', async () => {
    // A second day of the same shoppers' activity, in the last 12 hours, through ingest: the trigger
    // counts it and retrains; the challenger wins offline (no policy here) and goes to shadow.
    const nextDay = history.map((r, i) => ({
      ...r,
      timestamp: new Date(Date.now() - 12 * HOUR + i * 20_000).toISOString(),
    }));
    for (let i = 0; i < nextDay.length; i += 500) {
      const res = await send('ingest', 'POST', '/v1/interactions', {
        interactions: nextDay.slice(i, i + 500),
      });
      expect(res.accepted).toBe(Math.min(500, nextDay.length - i));
    }
    const retrain = await retrainJob(2);
    expect(retrain.promotion).toMatchObject({ outcome: 'promoted', alias: 'shadow', previousVersion: null });
    const challenger = retrain.version as number;
    const production = (await getJson('model-registry', `/v1/models/${MODEL}/aliases/production`)).version;
    await eventually(
      async () =>
        (await getJson('scoring', '/v1/models/recommender')).shadow.version === challenger ? true : undefined,
      60_000,
      'scoring to load the challenger in shadow',
    );

    // Shoppers ask for recommendations (production answers, the shadow ranks the same requests);
    // half of them click the item they were shown first, through ingest.
    const shoppers = [...new Set(history.map((r) => r.user_id))].slice(0, SHADOW_ROUND);
    const shown = new Map<string, string>();
    for (const user of shoppers) {
      const answer = await getJson('scoring', `/v1/users/${encodeURIComponent(user)}/recommendations`);
      expect(answer.modelVersion).toBe(production);
      shown.set(user, answer.items[0].itemId);
    }
    const clicks = shoppers.slice(0, SHADOW_ROUND / 2).map((user) => ({
      user_id: user,
      item_id: shown.get(user) as string,
      type: 'click',
      timestamp: new Date().toISOString(),
    }));
    expect((await send('ingest', 'POST', '/v1/interactions', { interactions: clicks })).accepted).toBe(
      clicks.length,
    );

    // Scoring judges the shadow on the hit rates and the registry records the decision with them.
    const decided = await eventually(
      async () => {
        const history: any = await getJson(
          'model-registry',
          `/v1/models/${MODEL}/aliases/production/history`,
        );
        return history.items.find(
          (h: any) => h.toVersion === challenger && h.decision?.championMeasuredOn === 'online',
        );
      },
      60_000,
      'the online decision about the challenger',
    );
    const { decision } = decided;
    expect(decision).toMatchObject({
      sample: SHADOW_ROUND,
      championValue: 0.5,
      policy: { metric: 'online_hit_rate' },
    });
    expect(decided.action).toBe(decision.challengerValue >= decision.championValue ? 'promote' : 'rejected');
    const served = decided.action === 'promote' ? challenger : production;
    await eventually(
      async () => {
        const status = await getJson('scoring', '/v1/models/recommender');
        return status.production.version === served && status.shadow.version === null ? true : undefined;
      },
      60_000,
      'scoring to serve the decided version and stop mirroring',
    );
    // The decision, with its figures, in `mercato models history`.
    const cli = await run(process.execPath, [CLI, 'models', 'history', MODEL], {
      env: {
        ...process.env,
        MODEL_REGISTRY_URL: services['model-registry'].url,
        TENANT_ID: TENANT,
      },
    });
    expect(cli.stdout).toMatch(
      new RegExp(
        `v${challenger} online_hit_rate [0-9.]+ vs production v${production} 0.5 online over ${SHADOW_ROUND} answers`,
      ),
    );
  }, 420_000);
});
