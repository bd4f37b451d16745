// An isolated news pipeline on the shared broker, for fault runs and benchmarks: the six services as
// processes on free ports, one fresh database, consumer groups of their own committed at the end of the
// shared topics (so only this run's news flows through them), and a first sentiment model trained by
// the training service and promoted, as `npm start` does. A killed service restarts with its own
// environment: the same port, database and consumer group.
import { Topics } from '@mercato/contracts';
import { RegistryClient } from '@mercato/registry-client';
import {
  createTestDatabase,
  eventually,
  requireEnv,
  startGroupAtEnd,
  testKafka,
  type TestDatabase,
} from './scratch';
import { freePort, getJson, startService, type ServiceProcess } from './services';
import { registerShippedModel } from './shipped-model';

export type NewsServiceName =
  'model-registry' | 'training' | 'ingest' | 'feature' | 'scoring' | 'sentiment-monitor';

export interface NewsStackOptions {
  /** Unique per run: names the consumer groups and the model. */
  run: string;
  /** Extra variables of every service (tracing, poll intervals). */
  env?: Record<string, string>;
  /** Extra sentiment-monitor variables (windows, lateness, rules). */
  monitorEnv?: Record<string, string>;
  /** Synthetic training set size and epochs of the first model. */
  training?: { count: number; epochs: number };
  /**
   * Serve this model artifact folder (e.g. DEFAULT_SENTIMENT_MODEL_DIR, the shipped student) as the
   * first model instead of training one.
   */
  artifactDir?: string;
  log?: (msg: string) => void;
}

export interface NewsStack {
  run: string;
  db: TestDatabase;
  modelName: string;
  modelVersion: number;
  /** The service processes now running (a restart replaces the entry). */
  services: Record<NewsServiceName, ServiceProcess>;
  url(name: NewsServiceName): string;
  /** Scoring's gRPC listener. */
  grpcUrl: string;
  /** Starts the service again with the environment it had (same port, database and consumer group). */
  restart(name: NewsServiceName): Promise<ServiceProcess>;
  /** Stops every service (SIGTERM) and drops the database. */
  stop(): Promise<void>;
}

interface TrainingJob {
  status: 'running' | 'succeeded' | 'failed';
  error?: string;
  version?: number;
  promotion?: { outcome: string };
}

/**
 * How long a service may take to answer /healthz/ready: on a loaded machine scoring also loads its
 * models and reads its recommendation state first, and a restart waits out the dead member's session.
 */
const START_TIMEOUT_MS = 240_000;

export async function startNewsStack(options: NewsStackOptions): Promise<NewsStack> {
  const { run } = options;
  const log = options.log ?? (() => undefined);
  const db = await createTestDatabase('news_stack');
  const modelName = `sentiment-stack-${run}`;
  const groups = {
    training: `news-stack-training-${run}`,
    feature: `news-stack-feature-${run}`,
    scoring: `news-stack-scoring-${run}`,
    monitor: `news-stack-monitor-${run}`,
  };
  // New groups start at the end of the shared topics: other people's news never enters this stack.
  const kafka = testKafka();
  await startGroupAtEnd(kafka, groups.training, [Topics.trainingRequests.name]);
  await startGroupAtEnd(kafka, groups.feature, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  await startGroupAtEnd(kafka, groups.scoring, [Topics.newsEnriched.name, Topics.userFeatures.name]);
  await startGroupAtEnd(kafka, groups.monitor, [Topics.newsScored.name]);

  const common = {
    DATABASE_URL: db.url,
    KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const envs = {} as Record<NewsServiceName, Record<string, string>>;
  const services = {} as Record<NewsServiceName, ServiceProcess>;
  const port = async (): Promise<string> => String(await freePort());

  envs['model-registry'] = { ...common, HTTP_PORT: await port() };
  try {
    services['model-registry'] = await startService(
      'model-registry',
      envs['model-registry'],
      START_TIMEOUT_MS,
    );
    const shared = { ...common, MODEL_REGISTRY_URL: services['model-registry'].url };
    envs.feature = { ...shared, HTTP_PORT: await port(), KAFKA_CONSUMER_GROUP: groups.feature };
    const featureUrl = `http://127.0.0.1:${envs.feature.HTTP_PORT}`;
    // Training reads the tenant's sentiment feedback from this stack's feature service.
    envs.training = {
      ...shared,
      HTTP_PORT: await port(),
      KAFKA_CONSUMER_GROUP: groups.training,
      FEATURE_URL: featureUrl,
    };
    envs.ingest = { ...shared, HTTP_PORT: await port() };
    envs.scoring = {
      ...shared,
      HTTP_PORT: await port(),
      GRPC_PORT: await port(),
      FEATURE_URL: featureUrl,
      SENTIMENT_MODEL_NAME: modelName,
      KAFKA_CONSUMER_GROUP: groups.scoring,
    };
    envs['sentiment-monitor'] = {
      ...shared,
      HTTP_PORT: await port(),
      KAFKA_CONSUMER_GROUP: groups.monitor,
      // Analysts' corrections from the dashboard are stored by this stack's feature service.
      FEATURE_URL: featureUrl,
      ...options.monitorEnv,
    };
    const names = ['training', 'ingest', 'feature', 'scoring', 'sentiment-monitor'] as const;
    const started = await Promise.allSettled(
      names.map((name) => startService(name, envs[name], START_TIMEOUT_MS)),
    );
    started.forEach((s, i) => {
      if (s.status === 'fulfilled') services[names[i] as NewsServiceName] = s.value;
    });
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    log(`stack: six services up (database ${db.name}); first model ${modelName}`);
    const version = options.artifactDir
      ? (
          await registerShippedModel(
            new RegistryClient(services['model-registry'].url),
            modelName,
            options.artifactDir,
            { reason: `serving ${options.artifactDir}` },
          )
        ).version
      : await trainFirstModel(services.training.url, modelName, options.training);
    await eventually(
      async () =>
        (
          await getJson<{ sentiment: { models: { name: string; serving: { version: number } | null }[] } }>(
            `${services.scoring.url}/v1/models/current`,
          )
        ).sentiment.models.some((m) => m.name === modelName && m.serving)
          ? true
          : undefined,
      120_000,
      'scoring to load the model',
    );
    log(`stack: ${modelName} v${version} promoted and served`);

    return {
      run,
      db,
      modelName,
      modelVersion: version,
      services,
      url: (name) => services[name].url,
      grpcUrl: `http://127.0.0.1:${envs.scoring.GRPC_PORT}`,
      restart: async (name) => {
        services[name] = await startService(name, envs[name], START_TIMEOUT_MS);
        return services[name];
      },
      stop: async () => {
        await Promise.all(Object.values(services).map((s) => s.stop()));
        await db.drop();
      },
    };
  } catch (err) {
    await Promise.all(Object.values(services).map((s) => s.kill()));
    await db.drop();
    throw err;
  }
}

/** The first model, trained by the training service on synthetic news and promoted: its version. */
async function trainFirstModel(
  trainingUrl: string,
  modelName: string,
  training: { count: number; epochs: number } = { count: 3000, epochs: 4 },
): Promise<number> {
  const submit = await fetch(`${trainingUrl}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      modelName,
      kind: 'sentiment',
      architecture: 'cnn',
      datasetRef: `synthetic:news?seed=1&count=${training.count}`,
      hyperparameters: {
        epochs: training.epochs,
        embeddingDim: 32,
        filters: 64,
        hidden: 32,
        maxLength: 24,
      },
      promoteIfBetter: true,
    }),
  });
  if (submit.status !== 202) throw new Error(`training job refused: ${submit.status} ${await submit.text()}`);
  const { requestId } = (await submit.json()) as { requestId: string };
  const job = await eventually(
    async () => {
      const j = await getJson<TrainingJob>(`${trainingUrl}/v1/jobs/${requestId}`).catch(() => undefined);
      if (j?.status === 'failed') throw new Error(j.error);
      return j?.status === 'succeeded' ? j : undefined;
    },
    300_000,
    'the first sentiment model',
  );
  if (job.promotion?.outcome !== 'promoted')
    throw new Error(`the first model was not promoted: ${JSON.stringify(job.promotion)}`);
  return Number(job.version);
}
