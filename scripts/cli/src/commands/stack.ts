// `mercato up` / `mercato down`: the whole platform locally on embedded defaults — a real Kafka
// broker, Postgres, the catalogue's topics and all six services — stopped cleanly on Ctrl-C. The
// broker, Postgres and the service processes come from @mercato/dev-stack, as for the benches and
// the tests; what is here is the platform's keys, the demo settings and the pid file.
import { DEFAULT_PORTS, SERVICE_NAMES, type ServiceName } from '@mercato/config';
import {
  ensureLocalKafka,
  ensureLocalPostgres,
  REPO_ROOT,
  spawnService,
  stopServices,
  waitReady,
  type KafkaHandle,
  type PostgresHandle,
  type ServiceProcess,
} from '@mercato/dev-stack';
import { createKafka, ensureTopics } from '@mercato/kafka';
import { createLogger } from '@mercato/telemetry';
import { ensureDefaultSentimentModel } from './default-model';
import { runDemo } from './demo';
import { keyCreated, stackKeysFile, withKeyStore, type StackKeys } from './keys';
import { SCOPES, type Scope } from '@mercato/auth';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 300_000;
const DEFAULT_TRAINING_PAGE = `http://127.0.0.1:${DEFAULT_PORTS.training}/`;
// Functions, not constants: the CLI loads this module for every command (see program.ts).
const stateFile = (...path: string[]): string => join(REPO_ROOT, '.mercato', ...path);
const pidFile = (): string => stateFile('stack.pid');
const logDir = (): string => stateFile('logs');
const serviceKeyFile = (): string => stateFile('service-api-key');

/** What the services need from each other: models, datasets, features, popular items, user deletion. */
const SERVICE_SCOPES: Scope[] = [
  'models:read',
  'models:admin',
  'datasets:read',
  'features:read',
  'recs:read',
  'users:delete',
];

/**
 * With authentication on (the default), a fresh tenant admin key (every scope, for the CLI and the
 * dashboard) and a platform service key (what the services send each other, not rate limited),
 * replacing the keys of the previous `mercato up`. Both are written to .mercato/ with mode 0600.
 */
async function provisionStackKeys(databaseUrl: string, tenant: string): Promise<StackKeys> {
  const keysFile = stackKeysFile();
  const previous = existsSync(keysFile)
    ? (JSON.parse(readFileSync(keysFile, 'utf8')) as StackKeys)
    : undefined;
  const keys = await withKeyStore(async (store, audit) => {
    if (previous)
      for (const id of [previous.admin.id, previous.service.id]) {
        const revoked = await store.revoke(id);
        if (revoked) await audit(revoked.tenantId, { action: 'key.revoke', target: `key ${id}` });
      }
    const admin = await store.create({
      tenantId: tenant,
      name: 'mercato up: tenant admin',
      scopes: [...SCOPES],
    });
    const service = await store.create({
      tenantId: tenant,
      name: 'mercato up: services',
      scopes: SERVICE_SCOPES,
      platform: true,
      rateRps: 0,
    });
    for (const created of [admin, service]) await audit(tenant, keyCreated(created.record));
    return {
      tenant,
      admin: { id: admin.record.id, key: admin.token },
      service: { id: service.record.id, key: service.token },
    };
  }, databaseUrl);
  writeFileSync(keysFile, JSON.stringify(keys, null, 2), { mode: 0o600 });
  chmodSync(keysFile, 0o600);
  writeFileSync(serviceKeyFile(), keys.service.key, { mode: 0o600 });
  chmodSync(serviceKeyFile(), 0o600);
  return keys;
}

interface RunningService extends ServiceProcess {
  name: ServiceName;
}

const say = (msg: string): void => {
  process.stdout.write(`${msg}\n`);
};

export async function createTopics(brokers: string): Promise<void> {
  const logger = createLogger('cli', 'warn', 'stderr');
  const kafka = createKafka({ clientId: 'mercato-cli', brokers: brokers.split(','), logger });
  const result = await ensureTopics(kafka);
  say(
    `topics: ${result.created.length} created, ${result.grown.length} grown, ${result.reconfigured.length} given the compaction settings, ${result.existing.length} already there`,
  );
}

function startService(name: ServiceName, env: NodeJS.ProcessEnv): RunningService {
  const svc = spawnService(
    name,
    { ...env, HTTP_PORT: String(DEFAULT_PORTS[name]) },
    { logFile: join(logDir(), `${name}.log`) },
  );
  return Object.assign(svc, { name });
}

async function stopAll(
  services: RunningService[],
  pg: PostgresHandle | undefined,
  kafka: KafkaHandle | undefined,
): Promise<void> {
  say('stopping services…');
  await stopServices(services);
  if (pg?.started) {
    say('stopping postgres…');
    await pg.stop();
  }
  if (kafka?.started) {
    say('stopping kafka…');
    await kafka.stop();
  }
}

export async function up(options: { only?: string[]; demo?: boolean }): Promise<void> {
  mkdirSync(logDir(), { recursive: true });
  const names = options.only?.length
    ? SERVICE_NAMES.filter((n) => options.only?.includes(n))
    : [...SERVICE_NAMES];
  let kafka: KafkaHandle | undefined;
  let pg: PostgresHandle | undefined;
  let keys: StackKeys | undefined;
  const services: RunningService[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = (code: number): void => {
    stopping ??= stopAll(services, pg, kafka)
      .catch((err: unknown) => say(`error while stopping: ${String(err)}`))
      .finally(() => {
        rmSync(pidFile(), { force: true });
        process.exit(code);
      });
  };
  process.on('SIGINT', () => shutdown(0));
  process.on('SIGTERM', () => shutdown(0));
  writeFileSync(pidFile(), String(process.pid));
  try {
    kafka = await ensureLocalKafka(say);
    pg = await ensureLocalPostgres(say);
    await createTopics(kafka.brokers);
    const authMode = process.env.AUTH_MODE ?? 'required';
    if (authMode !== 'off') {
      keys = await provisionStackKeys(pg.url, process.env.TENANT_ID ?? 'default');
    }
    const env = {
      ...process.env,
      KAFKA_BROKERS: kafka.brokers,
      DATABASE_URL: pg.url,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      AUTH_MODE: authMode,
      ...(keys ? { MERCATO_SERVICE_API_KEY: undefined, MERCATO_SERVICE_API_KEY_FILE: serviceKeyFile() } : {}),
    };
    // The demo replays two hours of news in seconds: the monitor allows for the disorder that brings,
    // and judges only windows with enough articles (both can be overridden from the environment).
    const demoEnv = options.demo
      ? {
          ALLOWED_LATENESS: process.env.ALLOWED_LATENESS ?? '3h',
          ALERT_RULES:
            process.env.ALERT_RULES ?? JSON.stringify({ defaults: { minVolume: 20, minShare: 0.6 } }),
        }
      : {};
    // Every run's TensorBoard event files, live: `tensorboard --logdir .mercato/tensorboard`. The loop
    // is closed by default: each tenant's recommender retrains from the feature store after 1000 new
    // interactions, or every 6 hours when it has new ones, and a sentiment model whose predictions
    // drift from its evaluation, or whose tenant's analysts corrected 50 texts it has not seen, is
    // retrained (the chart's defaults too).
    const trainingEnv = {
      TENSORBOARD_LOGDIR: process.env.TENSORBOARD_LOGDIR ?? stateFile('tensorboard'),
      RECOMMENDER_RETRAIN_AFTER_INTERACTIONS: process.env.RECOMMENDER_RETRAIN_AFTER_INTERACTIONS ?? '1000',
      RECOMMENDER_RETRAIN_INTERVAL_S: process.env.RECOMMENDER_RETRAIN_INTERVAL_S ?? '21600',
      RETRAIN_ON_DRIFT: process.env.RETRAIN_ON_DRIFT ?? 'true',
      RETRAIN_AFTER_FEEDBACK: process.env.RETRAIN_AFTER_FEEDBACK ?? '50',
    };
    // A retrain takes production only by beating it on the same held-out data, on enough examples.
    const registryEnv = {
      PROMOTION_POLICY_SENTIMENT: process.env.PROMOTION_POLICY_SENTIMENT ?? 'macro_f1:0.005:higher:100',
      PROMOTION_POLICY_RECOMMENDER:
        process.env.PROMOTION_POLICY_RECOMMENDER ?? 'ndcg_at_10_sampled99:0.005:higher:50',
    };
    for (const name of names)
      services.push(
        startService(
          name,
          name === 'sentiment-monitor'
            ? { ...env, ...demoEnv }
            : name === 'training'
              ? { ...env, ...trainingEnv }
              : name === 'model-registry'
                ? { ...env, ...registryEnv }
                : env,
        ),
      );
    await Promise.all(
      services.map(async (s) => {
        try {
          // Scoring is ready only once it has rebuilt its in-memory recommendation state from the
          // compacted topics, which takes longer the more users and items a broker holds.
          await waitReady(s, READY_TIMEOUT_MS);
        } catch (err) {
          throw new Error(
            `${s.name} did not become ready (${(err as Error).message}); see .mercato/logs/${s.name}.log`,
          );
        }
      }),
    );
  } catch (err) {
    say(`mercato up failed: ${(err as Error).message}`);
    shutdown(1);
    return;
  }
  say('\nMercato is up:');
  for (const s of services)
    say(`  ${s.name.padEnd(18)} ${s.url}${s.name === 'scoring' ? '  (gRPC 127.0.0.1:9085)' : ''}`);
  say(`  ${'kafka'.padEnd(18)} ${kafka.brokers}`);
  say(`  ${'postgres'.padEnd(18)} ${pg.url.replace(/:[^:@/]+@/, ':***@')}`);
  if (keys) {
    say(`\nAPI keys (tenant ${keys.tenant}; saved in .mercato/api-keys.json, which the CLI uses):`);
    say(`  admin   ${keys.admin.key}`);
    say(`  service ${keys.service.id} (platform key the services send each other)`);
    say('  the dashboard and the runs page ask for the admin key once per browser tab');
  } else {
    say('\nAUTH_MODE=off: no credentials needed (development only)');
  }
  if (names.includes('training'))
    say(
      `training runs: ${DEFAULT_TRAINING_PAGE} (npx mercato runs list); TensorBoard: tensorboard --logdir .mercato/tensorboard`,
    );
  say(`logs: .mercato/logs/<service>.log — Ctrl-C (or npx mercato down) stops everything`);
  for (const s of services) {
    s.child.once('exit', (code) => {
      if (!stopping) say(`${s.name} exited with code ${code}; see .mercato/logs/${s.name}.log`);
    });
  }
  if (names.includes('model-registry'))
    await ensureDefaultSentimentModel().catch((err: unknown) =>
      say(`could not register the default sentiment model: ${(err as Error).message}`),
    );
  if (options.demo) {
    await runDemo().catch((err: unknown) =>
      say(`demo failed: ${(err as Error).message} (the stack stays up)`),
    );
  }
  // scripts/run.sh notes when `npm start` / `npx mercato` began, before it installed anything missing.
  const since = Number(process.env.MERCATO_STARTED_AT) * 1000 || performance.timeOrigin;
  const upTo = options.demo ? 'the end of the demo' : 'every service ready';
  say(
    `\nstart-up took ${Math.round((Date.now() - since) / 1000)} s (from the command, set-up included, to ${upTo})`,
  );
}

export async function down(): Promise<void> {
  if (!existsSync(pidFile())) {
    say('no local stack is running');
    return;
  }
  const pid = Number(readFileSync(pidFile(), 'utf8'));
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    rmSync(pidFile(), { force: true });
    say('the stack was not running (stale pid file removed)');
    return;
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      say('stopped');
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`stack process ${pid} did not stop within 60 s`);
}

/** Starts `mercato up` in the background, logging to .mercato/logs/stack.log, and waits until it is up. */
export async function upDetached(only?: string[]): Promise<void> {
  mkdirSync(logDir(), { recursive: true });
  const logPath = join(logDir(), 'stack.log');
  const log = openSync(logPath, 'w');
  const child = spawn(
    process.execPath,
    [process.argv[1] ?? '', 'up', ...(only?.length ? ['--only', only.join(',')] : [])],
    {
      detached: true,
      stdio: ['ignore', log, log],
      env: process.env,
    },
  );
  closeSync(log);
  child.unref();
  const deadline = Date.now() + 240_000;
  while (Date.now() < deadline) {
    const text = existsSync(logPath) ? readFileSync(logPath, 'utf8') : '';
    if (text.includes('Mercato is up')) {
      say(text.trim());
      return;
    }
    if (text.includes('mercato up failed') || child.exitCode !== null)
      throw new Error(`stack failed to start:\n${text}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('stack did not come up within 240 s; see .mercato/logs/stack.log');
}
