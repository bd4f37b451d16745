// What the recommendation benchmarks share: a model registry and a scoring service started as real
// processes (dist/, on free ports, a fresh database, the local broker), one recommender version
// registered and promoted for a bench-only tenant, the tenant's catalog and user features produced on
// the compacted topics before scoring starts (so "ready" means every record is in memory), and the
// pseudonyms scoring computes for raw user ids. Not a benchmark itself.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Headers, InteractionType, Topics, catalogItemKey } from '@mercato/contracts';
import { encode, ensureTopics } from '@mercato/kafka';
import { RegistryClient } from '@mercato/registry-client';
import { type ArtifactFile } from '@mercato/ml';
import { DEVELOPMENT_PSEUDONYMIZATION_KEY, Pseudonymizer } from '@mercato/privacy';
import {
  createTestDatabase,
  ensureLocalKafka,
  ensureLocalPostgres,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  freePort,
} from '@mercato/dev-stack';
import { testKeys } from '@mercato/testing';
import { randomUUID } from 'node:crypto';

export interface StackItem {
  itemId: string;
  title: string;
  description: string;
  categories: string[];
  available: boolean;
}

export interface StackUser {
  /** The pseudonym (what UserFeatures are keyed by). */
  userId: string;
  recent: string[];
  purchased: string[];
}

export interface RecsStack {
  tenant: string;
  scoringUrl: string;
  /** Headers every request to scoring carries (the API key when authentication is on). */
  headers: Record<string, string>;
  scoring: ServiceProcess;
  /**
   * Stops scoring and starts it again with these variables over the first ones (another answer
   * cache size, say), on the same port, once it serves the version again: it reads the state anew.
   */
  restartScoring(env: Record<string, string>): Promise<void>;
  /** Milliseconds from scoring's last start to serving the version (state read, model loaded, index built). */
  readonly startupMs: number;
  stop(): Promise<void>;
}

export const benchTenant = (): string => `bench-${uniqueSuffix()}`;

export const pseudonymOf = (tenant: string, rawUser: string): string =>
  new Pseudonymizer(DEVELOPMENT_PSEUDONYMIZATION_KEY).pseudonym(tenant, rawUser);

export { freePort };

const CHUNK = 500;

export interface RecsStackOptions {
  tenant: string;
  files: ArtifactFile[];
  items: StackItem[];
  users: StackUser[];
  log: (msg: string) => void;
  scoringEnv?: Record<string, string>;
  /**
   * Authentication on (AUTH_MODE=required) with an API key of the tenant, as in production: every
   * request pays the credential check and the rate limiter (the key's limit is set far above what
   * the bench sends, so nothing is refused). Off: the development principal.
   */
  auth?: boolean;
}

/** Registers the artifact as the tenant's recommender and promotes it to production. */
export async function registerRecommender(
  registry: RegistryClient,
  tenant: string,
  files: ArtifactFile[],
): Promise<{ model: string; version: number }> {
  const model = `recommender-${tenant}`;
  const client = registry.forTenant(tenant);
  await client.ensureModel(model, 'recommender');
  const { version } = await client.register(model, {
    metrics: {},
    lineage: { datasetHash: tenant, codeVersion: 'bench', backend: 'tensorflow' },
    idempotencyKey: tenant,
    files,
  });
  await client.promote(model, { version, alias: 'production', reason: 'bench', force: true });
  return { model, version };
}

/** The tenant's catalog and user features on the compacted topics, as ingest and feature write them. */
export async function publishTenantState(
  tenant: string,
  items: readonly StackItem[],
  users: readonly StackUser[],
): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  try {
    const headers = (): Record<string, string> => ({
      [Headers.eventId]: randomUUID(),
      [Headers.tenantId]: tenant,
    });
    const now = timestampFromDate(new Date());
    for (let i = 0; i < items.length; i += CHUNK)
      await producer.send({
        topic: Topics.catalogItems.name,
        messages: items.slice(i, i + CHUNK).map((it) => ({
          key: catalogItemKey(tenant, it.itemId),
          value: encode(Topics.catalogItems, { tenantId: tenant, ...it, price: 1, updatedAt: now }),
          headers: headers(),
        })),
      });
    for (let i = 0; i < users.length; i += CHUNK)
      await producer.send({
        topic: Topics.userFeatures.name,
        messages: users.slice(i, i + CHUNK).map((u) => ({
          key: u.userId,
          value: encode(Topics.userFeatures, {
            tenantId: tenant,
            userId: u.userId,
            recentItems: u.recent.map((itemId) => ({ itemId, type: InteractionType.VIEW, at: now })),
            purchasedItemIds: u.purchased,
            interactionCount: BigInt(u.recent.length + u.purchased.length),
            updatedAt: now,
          }),
          headers: headers(),
        })),
      });
  } finally {
    await producer.disconnect();
  }
}

export async function startRecsStack(options: RecsStackOptions): Promise<RecsStack> {
  const { log } = options;
  process.env.KAFKA_BROKERS ??= (await ensureLocalKafka(log)).brokers;
  process.env.DATABASE_URL ??= (await ensureLocalPostgres(log)).url;
  const brokers = process.env.KAFKA_BROKERS;
  // A broker of its own (KAFKA_DATA_DIR) starts empty: the catalogue's topics are created first.
  await ensureTopics(testKafka());
  const db = await createTestDatabase('bench_recs');
  // What set-up has started, stopped again (last first) when a later step fails.
  const started: (() => Promise<unknown>)[] = [() => db.drop()];
  try {
    return await startServing(options, brokers, db.url, started);
  } catch (err) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

async function startServing(
  options: RecsStackOptions,
  brokers: string,
  databaseUrl: string,
  started: (() => Promise<unknown>)[],
): Promise<RecsStack> {
  const { tenant, log } = options;
  const registry = await startService('model-registry', {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    HTTP_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    // Development auth on the registry: the bench's calls act for the bench tenant, as scoring's do.
    TENANT_ID: tenant,
  });
  started.push(() => registry.stop());
  const { model, version } = await registerRecommender(
    new RegistryClient(registry.url),
    tenant,
    options.files,
  );
  await publishTenantState(tenant, options.items, options.users);
  log(`produced ${options.items.length} catalog items and ${options.users.length} users for ${tenant}`);

  let requestHeaders: Record<string, string> = {};
  if (options.auth) {
    const keys = await testKeys(databaseUrl);
    const { token } = await keys.create({
      tenantId: tenant,
      name: 'bench',
      rateRps: 1_000_000,
      rateBurst: 1_000_000,
    });
    await keys.close();
    requestHeaders = { authorization: `Bearer ${token}` };
  }

  const scoringPort = await freePort();
  const scoringUrl = `http://127.0.0.1:${scoringPort}`;
  const scoringEnv = {
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers,
    KAFKA_CONSUMER_GROUP: `mercato-scoring-${tenant}`,
    HTTP_PORT: String(scoringPort),
    GRPC_PORT: String(await freePort()),
    TENANT_ID: tenant,
    MODEL_REGISTRY_URL: registry.url,
    SENTIMENT_MODEL_NAME: `sentiment-${tenant}`,
    FEATURE_URL: `http://127.0.0.1:${await freePort()}`,
    LOG_LEVEL: 'warn',
    AUTH_MODE: options.auth ? 'required' : 'off',
    ...options.scoringEnv,
  };
  // Scoring reads a large catalog before it is ready: ten minutes for a million items on a busy machine.
  let startupMs = 0;
  const startScoring = async (env: Record<string, string>): Promise<ServiceProcess> => {
    const begun = performance.now();
    const scoring = await startService('scoring', { ...scoringEnv, ...env }, 600_000);
    const deadline = Date.now() + 600_000;
    for (;;) {
      const status = (await (
        await fetch(`${scoringUrl}/v1/models/recommender`, { headers: requestHeaders })
      ).json()) as {
        production: { version: number | null };
      };
      if (status.production.version === version) break;
      if (Date.now() > deadline) {
        await scoring.stop();
        throw new Error(`scoring did not load ${model} v${version}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    startupMs = performance.now() - begun;
    log(
      `scoring serves ${model} v${version} at ${scoringUrl} (${(startupMs / 1000).toFixed(1)} s after its start)`,
    );
    return scoring;
  };
  let scoring = await startScoring({});
  started.push(() => scoring.stop());
  const stack: RecsStack = {
    tenant,
    scoringUrl,
    headers: requestHeaders,
    scoring,
    restartScoring: async (env) => {
      await scoring.stop();
      scoring = await startScoring(env);
      stack.scoring = scoring;
    },
    get startupMs() {
      return startupMs;
    },
    stop: async () => {
      for (const stop of started.reverse()) await stop();
    },
  };
  return stack;
}
