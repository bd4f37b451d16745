// Smoke test of the built CPU image (`npm run images -- cpu`) with podman, run as the chart runs it:
// every service from localhost/mercato:<version> with NODE_ENV=production, authentication required,
// secrets as read-only files under /var/run/secrets/mercato, uid 10001 and a read-only root
// filesystem whose only writable paths are the chart's volumes (/tmp, and training's
// MODEL_ARTIFACT_DIR), on the host network against the local broker and Postgres. The CLI from the
// same image runs the hook Jobs' commands first (topics, migrations). Each service must answer
// /healthz/ready and process a record: training trains and registers a small sentiment model,
// the registry stores it and publishes its promotion, scoring loads it, and one article goes
// ingest -> feature -> scoring -> sentiment-monitor. Then each one drains on SIGTERM and exits 0,
// having written nothing outside its volumes.
// Skipped, saying why, where podman cannot run or the image is missing; CI builds the image first
// and sets MERCATO_IMAGE_SMOKE=required, which turns those reasons into failures.
import { Topics } from '@mercato/contracts';
import {
  createTestDatabase,
  eventually,
  freePort,
  requireEnv,
  startGroupAtEnd,
  testKafka,
  uniqueSuffix,
  type TestDatabase,
} from '@mercato/dev-stack';
import { generateNews } from '@mercato/synthetic';
import { metricValue, testKeys } from '@mercato/testing';
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const IMAGE = process.env.MERCATO_IMAGE ?? `localhost/mercato:${VERSION}`;
const REQUIRED = process.env.MERCATO_IMAGE_SMOKE === 'required';
const SERVICES = ['model-registry', 'training', 'ingest', 'feature', 'scoring', 'sentiment-monitor'] as const;
type Service = (typeof SERVICES)[number];
const UID = 10001;

/** Why the smoke test cannot run here, or undefined when it can. */
function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'it needs root (rootful podman, volumes owned by uid 10001)';
  try {
    execFileSync('podman', ['image', 'exists', IMAGE], { stdio: 'ignore' });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? 'podman is not installed (apt-get install podman runc)'
      : `image ${IMAGE} is missing: build it with \`npm run images -- cpu\``;
  }
  return undefined;
}
const reason = unavailable();
if (reason && REQUIRED) throw new Error(`image smoke test required (MERCATO_IMAGE_SMOKE) but ${reason}`);
if (reason) console.warn(`image smoke test skipped: ${reason}`);

/**
 * podman run's options for this machine: runc where it is installed (crun refuses hybrid cgroup
 * hierarchies), and ulimits within the current hard limits (podman's defaults raise them, which a
 * root without CAP_SYS_RESOURCE may not).
 */
function runtimeOptions(): string[] {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string) =>
    Number(new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1]) || 4096;
  const options = [
    '--ulimit',
    `nofile=${Math.min(hard('Max open files'), 65536)}`,
    '--ulimit',
    `nproc=${Math.min(hard('Max processes') >> 1, 8192)}`,
  ];
  try {
    execFileSync('sh', ['-c', 'command -v runc'], { stdio: 'ignore' });
    options.push('--runtime', 'runc');
  } catch {
    // crun, podman's default
  }
  return options;
}

const podman = async (...args: string[]): Promise<string> =>
  (await exec('podman', args, { maxBuffer: 64 << 20 })).stdout;

describe.skipIf(!!reason)(`image ${IMAGE} under podman (read-only root, uid ${UID})`, () => {
  const run = uniqueSuffix();
  const tenant = `smoke-${run}`;
  const modelName = `sentiment-smoke-${run}`;
  const work = mkdtempSync(path.join(tmpdir(), 'mercato-smoke-'));
  const secrets = path.join(work, 'secrets');
  const ports = {} as Record<Service, number>;
  const url = (s: Service) => `http://127.0.0.1:${ports[s]}`;
  const names = {} as Record<Service, string>;
  const volumes = {} as Record<Service, string[]>;
  const options = reason ? [] : runtimeOptions();
  let db: TestDatabase;
  let adminKey: string;
  const report: string[] = [];

  /** The chart's environment of a service (templates/_helpers.tpl "mercato.config"). */
  function env(service: Service): Record<string, string> {
    const secret = (p: string) => `/var/run/secrets/mercato/${p}`;
    const e: Record<string, string> = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      KAFKA_CLIENT_ID: `mercato-${service}`,
      KAFKA_CONSUMER_GROUP: `smoke-${service}-${run}`,
      DATABASE_URL_FILE: secret('database/url'),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(ports[service]),
      SHUTDOWN_TIMEOUT_MS: '20000',
      AUTH_MODE: 'required',
      OTEL_SERVICE_NAME: service,
    };
    const calls = { MODEL_REGISTRY_URL: url('model-registry'), FEATURE_URL: url('feature') };
    const serviceKey = { MERCATO_SERVICE_API_KEY_FILE: secret('service-key/api-key') };
    const pseudonyms = { PSEUDONYMIZATION_KEY_FILE: secret('pseudonymization/key') };
    switch (service) {
      case 'training':
        return { ...e, ...calls, ...serviceKey, MODEL_ARTIFACT_DIR: '/var/lib/mercato/artifacts' };
      case 'ingest':
        return { ...e, ...serviceKey, ...pseudonyms };
      case 'scoring':
        return { ...e, ...calls, ...serviceKey, ...pseudonyms, SENTIMENT_MODEL_NAME: modelName };
      case 'sentiment-monitor':
        return { ...e, WEBHOOK_SIGNING_SECRET_FILE: secret('webhook/signing-secret') };
      case 'model-registry':
      case 'feature':
        return e;
    }
  }

  /** A host directory the container's user may write, mounted as one of its volumes. */
  function writable(name: string): string {
    const dir = path.join(work, name);
    mkdirSync(dir, { recursive: true });
    chownSync(dir, UID, UID);
    chmodSync(dir, 0o700);
    return dir;
  }

  const runArgs = (name: string, mounts: string[], environment: Record<string, string>) => [
    'run',
    '--name',
    name,
    '--network',
    'host',
    '--read-only',
    '--read-only-tmpfs=false',
    ...options,
    ...mounts.flatMap((m) => ['-v', m]),
    ...Object.entries(environment).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
  ];

  beforeAll(async () => {
    db = await createTestDatabase('smoke');
    const keys = await testKeys(db.url);
    adminKey = (await keys.create({ tenantId: tenant, name: 'smoke admin' })).token;
    const serviceKey = (await keys.create({ tenantId: tenant, name: 'services', platform: true })).token;
    await keys.close();
    for (const [file, value] of Object.entries({
      'database/url': db.url,
      'service-key/api-key': serviceKey,
      'pseudonymization/key': `smoke-pseudonymization-key-${run}-${'k'.repeat(32)}`,
      'webhook/signing-secret': `smoke-webhook-secret-${run}`,
    })) {
      mkdirSync(path.join(secrets, path.dirname(file)), { recursive: true });
      writeFileSync(path.join(secrets, file), value, { mode: 0o444 });
    }
    for (const s of SERVICES) {
      ports[s] = await freePort();
      names[s] = `mercato-smoke-${s}-${run}`;
      volumes[s] = [`${writable(`${s}-tmp`)}:/tmp:rw`, `${secrets}:/var/run/secrets/mercato:ro`];
      if (s === 'training')
        volumes[s].push(`${writable('training-artifacts')}:/var/lib/mercato/artifacts:rw`);
    }
    // New consumer groups start at the end of the shared topics: only this run's records reach them.
    const kafka = testKafka();
    await startGroupAtEnd(kafka, `smoke-feature-${run}`, [
      Topics.newsRaw.name,
      Topics.interactionsRaw.name,
      Topics.catalogItems.name,
    ]);
    await startGroupAtEnd(kafka, `smoke-scoring-${run}`, [
      Topics.newsEnriched.name,
      Topics.userFeatures.name,
    ]);
    await startGroupAtEnd(kafka, `smoke-sentiment-monitor-${run}`, [Topics.newsScored.name]);
    await startGroupAtEnd(kafka, `smoke-training-${run}`, [Topics.trainingRequests.name]);
  }, 120_000);

  afterAll(async () => {
    // Each container's log stays in .mercato/smoke/ for a failure's post-mortem.
    const logs = path.join(ROOT, '.mercato/smoke');
    mkdirSync(logs, { recursive: true });
    for (const s of SERVICES) {
      const out = await podman('logs', names[s]).catch((err: Error) => err.message);
      writeFileSync(path.join(logs, `${s}.log`), out);
      await podman('rm', '--force', '--time', '0', names[s]).catch(() => undefined);
    }
    await db?.drop();
    rmSync(work, { recursive: true, force: true });
    if (report.length) console.log(`image smoke test (${IMAGE}):\n  ${report.join('\n  ')}`);
  }, 120_000);

  it('runs as uid 10001 with the OCI labels, an SBOM and the entrypoint contract', async () => {
    const [config] = JSON.parse(await podman('image', 'inspect', IMAGE)) as {
      Config: { User: string; Labels: Record<string, string>; Entrypoint: string[] };
    }[];
    expect(config.Config.User).toBe(`${UID}:${UID}`);
    for (const label of ['source', 'revision', 'version', 'licenses', 'created'])
      expect(config.Config.Labels[`org.opencontainers.image.${label}`], label).toBeTruthy();
    expect(config.Config.Entrypoint).toEqual(['/usr/bin/tini', '--', '/app/docker/entrypoint.sh']);
    const sbom = JSON.parse(
      await podman(
        'run',
        '--rm',
        '--network',
        'none',
        ...options,
        '--entrypoint',
        '/usr/local/bin/node',
        IMAGE,
        '-p',
        'require("fs").readFileSync("/usr/share/mercato/sbom.cdx.json","utf8")',
      ),
    ) as { bomFormat: string; components: { name: string }[] };
    expect(sbom.bomFormat).toBe('CycloneDX');
    for (const name of ['@nestjs/core', '@tensorflow/tfjs-node', 'kafkajs', 'libc6'])
      expect(
        sbom.components.map((c) => c.name),
        name,
      ).toContain(name);
    report.push(
      `image: user ${config.Config.User}, revision ${config.Config.Labels['org.opencontainers.image.revision']}, SBOM ${sbom.components.length} components`,
    );
  });

  it("runs the hook Jobs' commands from the image: topics create, migrate", async () => {
    const cliEnv = { ...env('model-registry'), KAFKA_CLIENT_ID: 'mercato-cli' };
    const cli = (...args: string[]) =>
      podman(
        ...runArgs(
          `mercato-smoke-cli-${run}-${args[0]}`,
          [`${writable('cli-tmp')}:/tmp:rw`, `${secrets}:/var/run/secrets/mercato:ro`],
          cliEnv,
        ),
        '--rm',
        IMAGE,
        'cli',
        ...args,
      );
    const topics = await cli('topics', 'create');
    const migrate = await cli('migrate');
    report.push(`cli topics create: ${topics.trim().split('\n').at(-1)}`);
    report.push(`cli migrate: ${migrate.trim().split('\n').at(-1)}`);
  }, 180_000);

  it('starts every service, each ready on /healthz/ready', async () => {
    const started = Date.now();
    for (const s of SERVICES) await podman(...runArgs(names[s], volumes[s], env(s)), '--detach', IMAGE, s);
    for (const s of SERVICES) {
      await eventually(
        async () => {
          const state = (await podman('inspect', '--format', '{{.State.Status}}', names[s])).trim();
          if (state !== 'running') throw new Error(`${s} is ${state}:\n${await podman('logs', names[s])}`);
          return (await fetch(`${url(s)}/healthz/ready`).catch(() => undefined))?.ok ? true : undefined;
        },
        240_000,
        `${s} ready`,
      );
    }
    report.push(`six containers ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);

  it('processes records through every service: a model trained, registered and loaded; an article to the monitor', async () => {
    const auth = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
    const submit = await fetch(`${url('training')}/v1/jobs`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        modelName,
        kind: 'sentiment',
        // The small CNN: the default architecture (the transformer) would fetch the encoder first.
        architecture: 'cnn',
        datasetRef: 'synthetic:news?seed=1&count=600',
        hyperparameters: { epochs: 1, embeddingDim: 16, filters: 16, hidden: 16, maxLength: 24 },
        promoteIfBetter: true,
      }),
    });
    expect(submit.status, await submit.clone().text()).toBe(202);
    const { requestId } = (await submit.json()) as { requestId: string };
    const job = await eventually(
      async () => {
        const j = (await (
          await fetch(`${url('training')}/v1/jobs/${requestId}`, { headers: auth })
        ).json()) as {
          status: string;
          error?: string;
          version?: number;
          promotion?: { outcome: string };
        };
        if (j.status === 'failed') throw new Error(`training failed: ${j.error}`);
        return j.status === 'succeeded' ? j : undefined;
      },
      240_000,
      'the training job',
    );
    expect(job.promotion?.outcome).toBe('promoted');
    // The tenant's own model: scoring reads a tenant's alias on its first text or status call.
    await eventually(
      async () => {
        const current = (await (
          await fetch(`${url('scoring')}/v1/models/current`, { headers: auth })
        ).json()) as { sentiment: { models: { owner: string; name: string; serving: unknown }[] } };
        return current.sentiment.models.some((m) => m.owner === tenant && m.name === modelName && m.serving)
          ? true
          : undefined;
      },
      120_000,
      'scoring to load the promoted model',
    );

    const [article] = generateNews({
      seed: 7,
      count: 1,
      start: new Date(),
      spacingMs: 1000,
      tickers: ['TSLA'],
    });
    const { sentiment: _label, ...body } = { ...article, id: `smoke-${run}` };
    const posted = await fetch(`${url('ingest')}/v1/news`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ articles: [body] }),
    });
    expect(posted.status, await posted.clone().text()).toBe(202);
    await eventually(
      async () =>
        (await metricValue(url('sentiment-monitor'), 'mercato_sentiment_records_total')) > 0
          ? true
          : undefined,
      120_000,
      'the article to reach the sentiment monitor',
    );

    const processed: Record<Service, [string, Record<string, string>]> = {
      ingest: ['mercato_ingest_records_total', { outcome: 'accepted' }],
      feature: ['mercato_feature_articles_enriched_total', {}],
      scoring: ['mercato_scoring_scored_records_total', {}],
      'sentiment-monitor': ['mercato_sentiment_records_total', {}],
      training: ['mercato_training_jobs_total', { outcome: 'succeeded' }],
      'model-registry': ['mercato_model_registry_registrations_total', { outcome: 'created' }],
    };
    for (const s of SERVICES) {
      const [metric, labels] = processed[s];
      const value = await metricValue(url(s), metric, labels);
      expect(value, `${s}: ${metric}`).toBeGreaterThanOrEqual(1);
      report.push(`${s}: ${metric}${Object.keys(labels).length ? JSON.stringify(labels) : ''} = ${value}`);
    }
    const backend = await metricValue(url('scoring'), 'mercato_scoring_tf_backend_info', {
      backend: 'tensorflow',
    });
    expect(backend, 'scoring runs native TensorFlow (tfjs-node) in the image').toBe(1);
  }, 600_000);

  it('drains each service on SIGTERM (exit 0) having written only to its volumes', async () => {
    for (const s of [...SERVICES].reverse()) {
      const started = Date.now();
      await podman('stop', '--time', '30', names[s]);
      const code = Number((await podman('inspect', '--format', '{{.State.ExitCode}}', names[s])).trim());
      const logs = await podman('logs', names[s]);
      expect(code, `${s} exit code:\n${logs.slice(-2000)}`).toBe(0);
      expect(logs, s).toMatch(/"msg":"draining"/);
      expect(logs, s).toMatch(/"msg":"stopped"/);
      expect(logs, `${s} tried to write to its read-only root`).not.toMatch(/EROFS|read-only file system/i);
      // podman creates the mount points of the volumes (/var/run is /run) and of the files it
      // manages itself (/etc/hosts, /etc/resolv.conf, /etc/hostname, /run/.containerenv); anything
      // else would be a write by the service.
      const targets = [
        ...volumes[s].map((v) => v.split(':')[1]!.replace(/^\/var\/run\//, '/run/')),
        '/etc/hosts',
        '/etc/resolv.conf',
        '/etc/hostname',
        '/run/.containerenv',
      ];
      const changed = (await podman('diff', names[s]))
        .split('\n')
        .map((line) => line.trim().split(' ')[1])
        .filter((p): p is string => !!p && !targets.some((t) => t === p || t.startsWith(`${p}/`)));
      expect(changed, `${s} changed its root filesystem`).toEqual([]);
      const written = readdirSync(path.join(work, `${s}-tmp`));
      report.push(
        `${s}: SIGTERM -> exit ${code} after ${((Date.now() - started) / 1000).toFixed(1)} s (draining, stopped); /tmp holds ${written.length ? written.join(', ') : 'nothing'}`,
      );
    }
  }, 300_000);
});
