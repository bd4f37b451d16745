// Tenant-sharded recommendations as real processes on the real broker and database: two scoring
// replicas (RECS_SHARDS=2) and two tenants, one owned by each shard, each with its own recommender
// version in a registry started here and its catalog and user features on the shared compacted
// topics. Each replica loads only its own tenant's model and state; a request (HTTP or gRPC) for the
// other tenant is forwarded to its owner and answered as the owner answers; a request forwarded once
// already is refused with 503 (the shards' settings disagree) instead of going round.
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Headers, InteractionType, RecommendationService, Topics, catalogItemKey } from '@mercato/contracts';
import { encode } from '@mercato/kafka';
import { RegistryClient } from '@mercato/registry-client';
import { recommenderToArtifact, selectBackend, trainRecommender } from '@mercato/ml';
import { DEVELOPMENT_PSEUDONYMIZATION_KEY, Pseudonymizer } from '@mercato/privacy';
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startService,
  stopServices,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { generateRetail, retailTrainingData } from '@mercato/synthetic';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARD_HEADER, SHARD_HOP_HEADER, assignTenants } from '../src/recommendations/tenant-shards';

const suffix = uniqueSuffix();
/** Two tenants that the replicas' assignment (TENANT_ID "default" and RECS_TENANTS) puts on shards 0 and 1. */
function tenantsOnEachShard(): readonly [string, string] {
  for (let i = 0; ; i += 2) {
    const pair = [`shards-it-${suffix}-${i}`, `shards-it-${suffix}-${i + 1}`];
    const owners = assignTenants(['default', ...pair], 2);
    const [a, b] = pair.map((t) => owners.get(t));
    if (a !== b) return (a === 0 ? [pair[0], pair[1]] : [pair[1], pair[0]]) as [string, string];
  }
}
const TENANTS = tenantsOnEachShard();
const pseudonymizer = new Pseudonymizer(DEVELOPMENT_PSEUDONYMIZATION_KEY);

const retail = generateRetail({
  seed: 11,
  users: 40,
  items: 80,
  interactionsPerUser: 15,
  start: new Date('2026-02-01T00:00:00Z'),
  spacingMs: 60_000,
});
const users = [...new Set(retail.interactions.map((i) => i.user_id))];

let db: TestDatabase;
let registry: ServiceProcess;
const replicas: ServiceProcess[] = [];
const grpcPorts: number[] = [];

async function publish(tenant: string): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  const headers = (): Record<string, string> => ({
    [Headers.eventId]: randomUUID(),
    [Headers.tenantId]: tenant,
  });
  const now = timestampFromDate(new Date());
  await producer.send({
    topic: Topics.catalogItems.name,
    messages: retail.items.map((i) => ({
      key: catalogItemKey(tenant, i.item_id),
      value: encode(Topics.catalogItems, {
        tenantId: tenant,
        itemId: i.item_id,
        title: i.title,
        description: i.description,
        categories: i.categories,
        price: i.price,
        available: true,
        updatedAt: now,
      }),
      headers: headers(),
    })),
  });
  await producer.send({
    topic: Topics.userFeatures.name,
    messages: users.map((u) => {
      const userId = pseudonymizer.pseudonym(tenant, u);
      const recent = retail.interactions.filter((i) => i.user_id === u).map((i) => i.item_id);
      return {
        key: userId,
        value: encode(Topics.userFeatures, {
          tenantId: tenant,
          userId,
          recentItems: [...new Set(recent)].slice(0, 10).map((itemId) => ({
            itemId,
            type: InteractionType.VIEW,
            at: now,
          })),
          purchasedItemIds: [],
          interactionCount: BigInt(recent.length),
          updatedAt: now,
        }),
        headers: headers(),
      };
    }),
  });
  await producer.disconnect();
}

const tenantHeaders = (tenant: string): Record<string, string> => ({ 'x-mercato-tenant': tenant });

beforeAll(async () => {
  db = await createTestDatabase('recs_shards');
  const common = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'), LOG_LEVEL: 'warn' };
  registry = await startService('model-registry', { ...common, HTTP_PORT: String(await freePort()) });
  const { tf } = await selectBackend('tensorflow');
  const model = await trainRecommender(tf, retailTrainingData(retail), {
    objective: 'implicit',
    dim: 8,
    epochs: 2,
    seed: 1,
  });
  const { files } = await recommenderToArtifact(tf, model, {
    backend: 'tensorflow',
    metrics: {},
    createdAt: new Date().toISOString(),
  });
  for (const tenant of TENANTS) {
    const client = new RegistryClient(registry.url).forTenant(tenant);
    const name = `recommender-${tenant}`;
    await client.ensureModel(name, 'recommender');
    const { version } = await client.register(name, {
      metrics: {},
      lineage: { datasetHash: tenant, codeVersion: 'recs-shards-spec', backend: 'tensorflow' },
      idempotencyKey: tenant,
      files,
    });
    await client.promote(name, { version, alias: 'production', reason: 'spec', force: true });
    await publish(tenant);
  }
  const ports = [await freePort(), await freePort()];
  grpcPorts.push(await freePort(), await freePort());
  const featureUrl = `http://127.0.0.1:${await freePort()}`;
  const started = await Promise.all(
    ports.map((port, shard) =>
      startService(
        'scoring',
        {
          ...common,
          HTTP_PORT: String(port),
          GRPC_PORT: String(grpcPorts[shard]),
          KAFKA_CONSUMER_GROUP: `recs-shards-it-${suffix}`,
          MODEL_REGISTRY_URL: registry.url,
          FEATURE_URL: featureUrl,
          SENTIMENT_MODEL_NAME: `sentiment-shards-it-${suffix}`,
          RECS_TENANTS: TENANTS.join(','),
          RECS_SHARDS: '2',
          // The StatefulSet form: a pod name ending in its ordinal.
          RECS_SHARD: `mercato-scoring-${shard}`,
          RECS_SHARD_URLS: ports.map((p) => `http://127.0.0.1:${p}`).join(','),
        },
        180_000,
      ),
    ),
  );
  replicas.push(...started);
  for (const [shard, tenant] of TENANTS.entries())
    await eventually(
      async () => {
        const res = await fetch(`${replicas[shard]?.url}/v1/models/recommender`, {
          headers: tenantHeaders(tenant),
        });
        return ((await res.json()) as { production: { version: number | null } }).production.version !== null
          ? true
          : undefined;
      },
      60_000,
      `shard ${shard} to serve ${tenant}`,
    );
}, 300_000);

afterAll(async () => {
  await stopServices(replicas);
  await registry?.stop();
  await db?.drop();
});

const recommend = (url: string, tenant: string, user: string, extra: Record<string, string> = {}) =>
  fetch(`${url}/v1/users/${user}/recommendations?k=5`, { headers: { ...tenantHeaders(tenant), ...extra } });

describe('tenant-sharded recommendations', () => {
  it("loads only its own tenant's model on each replica", async () => {
    for (const [shard, replica] of replicas.entries()) {
      const text = await (await fetch(`${replica.url}/metrics`)).text();
      const served = text
        .split('\n')
        .filter((l) => l.startsWith('mercato_recs_model_version{') && l.includes('alias="production"'))
        .filter((l) => Number(l.slice(l.lastIndexOf(' ') + 1)) > 0);
      expect(
        served.some((l) => l.includes(`tenant="${TENANTS[shard]}"`)),
        `shard ${shard}`,
      ).toBe(true);
      expect(
        served.some((l) => l.includes(`tenant="${TENANTS[1 - shard]}"`)),
        `shard ${shard}`,
      ).toBe(false);
    }
  });

  it("forwards another shard's tenant to its owner and relays the owner's answer", async () => {
    const user = users[0] as string;
    for (const [shard, tenant] of TENANTS.entries()) {
      const owner = replicas[shard] as ServiceProcess;
      const other = replicas[1 - shard] as ServiceProcess;
      const direct = await recommend(owner.url, tenant, user);
      const relayed = await recommend(other.url, tenant, user);
      expect(direct.status).toBe(200);
      expect(relayed.status).toBe(200);
      expect(direct.headers.get(SHARD_HEADER)).toBeNull();
      expect(relayed.headers.get(SHARD_HEADER)).toBe(String(shard));
      const [a, b] = [await direct.json(), await relayed.json()] as { items: { itemId: string }[] }[];
      expect(a?.items.length).toBe(5);
      expect(b).toEqual(a);
    }
  });

  it('forwards gRPC calls too', async () => {
    const tenant = TENANTS[1];
    const user = users[1] as string;
    const client = createClient(
      RecommendationService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPorts[0]}` }),
    );
    const answer = await client.getRecommendations(
      { userId: user, k: 5 },
      { headers: tenantHeaders(tenant) },
    );
    const direct = (await (await recommend(replicas[1]?.url as string, tenant, user)).json()) as {
      items: { itemId: string }[];
      modelName: string;
    };
    expect(answer.items.map((i) => i.itemId)).toEqual(direct.items.map((i) => i.itemId));
    expect(answer.modelName).toBe(`recommender-${tenant}`);
  });

  it('refuses a request forwarded once already, naming the disagreement', async () => {
    const res = await recommend(replicas[0]?.url as string, TENANTS[1], users[0] as string, {
      [SHARD_HOP_HEADER]: '1',
    });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('misrouted');
    expect(body.message).toMatch(/RECS_SHARDS or RECS_SHARD_URLS differ/);
  });
});
