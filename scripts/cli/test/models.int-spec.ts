// `mercato models` as an operator runs it, against the real model-registry process (built dist/, real
// broker, fresh database): list and show as tables and JSON, promote with and without a metric
// policy (a rejection exits 1 with the reason), rollback, history, and clear errors; and `mercato
// audit`, which reads who made those changes (and API key changes) from the audit logs.
import {
  REPO_ROOT,
  createTestDatabase,
  requireEnv,
  uniqueSuffix,
  type TestDatabase,
  freePort,
} from '@mercato/dev-stack';
import { PLATFORM_TENANT } from '@mercato/auth';
import { RegistryClient } from '@mercato/registry-client';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');
const REGISTRY = join(REPO_ROOT, 'dist/services/model-registry/src/main.js');
const NAME = `cli-sentiment-${uniqueSuffix()}`;

let db: TestDatabase;
let registry: ChildProcess;
let url: string;

/** A minimal TF.js LayersModel: one Dense layer, its float32 weights in one shard, and a manifest. */
function artifact(seed: number) {
  const weights = Buffer.from(new Float32Array(4 * 3 + 3).map((_, i) => Math.sin(seed + i)).buffer);
  const model = {
    format: 'layers-model',
    modelTopology: {
      class_name: 'Sequential',
      config: { layers: [{ class_name: 'Dense', config: { units: 3 } }] },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [
          { name: 'dense/kernel', shape: [4, 3], dtype: 'float32' },
          { name: 'dense/bias', shape: [3], dtype: 'float32' },
        ],
      },
    ],
  };
  const files: [string, Buffer][] = [
    ['model.json', Buffer.from(JSON.stringify(model))],
    ['group1-shard1of1.bin', weights],
    ['manifest.json', Buffer.from(JSON.stringify({ labels: ['negative', 'neutral', 'positive'] }))],
  ];
  return files.map(([path, bytes]) => ({ path, contentBase64: bytes.toString('base64') }));
}

async function post(path: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.status;
}

async function mercato(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      env: { ...process.env, MODEL_REGISTRY_URL: url, DATABASE_URL: db.url },
      cwd: REPO_ROOT,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  db = await createTestDatabase('cli_models');
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  registry = spawn(process.execPath, [REGISTRY], {
    env: {
      ...process.env,
      DATABASE_URL: db.url,
      KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'),
      HTTP_PORT: String(port),
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || registry.exitCode !== null) throw new Error('model-registry did not start');
    await new Promise((r) => setTimeout(r, 150));
  }
  expect(await post('/v1/models', { name: NAME, kind: 'sentiment', description: 'headline sentiment' })).toBe(
    201,
  );
  for (const [i, f1] of [0.8, 0.85, 0.84].entries()) {
    const status = await post(`/v1/models/${NAME}/versions`, {
      metrics: { macro_f1: f1, accuracy: f1 + 0.02 },
      lineage: { datasetHash: `ds-${i}`, codeVersion: 'git:abc', backend: 'cpu' },
      idempotencyKey: `train-${i}`,
      files: artifact(i),
    });
    expect(status).toBe(201);
  }
});

afterAll(async () => {
  if (registry && registry.exitCode === null) {
    const exited = new Promise((r) => registry.once('exit', r));
    registry.kill('SIGTERM');
    await exited;
  }
  await db?.drop();
});

describe('mercato models', () => {
  it('lists models as a table and as JSON', async () => {
    const table = await mercato('models', 'list');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+LATEST\s+PRODUCTION\s+STAGING\s+SHADOW\s+CREATED$/);
    expect(lines.find((l) => l.startsWith(NAME))).toMatch(
      new RegExp(`^${NAME}\\s+sentiment\\s+v3\\s+-\\s+-\\s+-\\s+\\d{4}-`),
    );

    const json = await mercato('models', 'list', '--json', '--kind', 'sentiment');
    const body = JSON.parse(json.stdout) as { items: { name: string; latestVersion: number }[] };
    expect(body.items.find((m) => m.name === NAME)?.latestVersion).toBe(3);
  });

  it('promotes, refuses a worse version under a metric policy (exit 1), and rolls back', async () => {
    const first = await mercato('models', 'promote', NAME, '1', '--reason', 'baseline');
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout.trim()).toBe(`promoted ${NAME} v1 to production (was -): baseline`);

    const better = await mercato('models', 'promote', NAME, 'v2', '--metric', 'macro_f1', '--margin', '0.01');
    expect(better.code).toBe(0);
    expect(better.stdout).toMatch(
      /promoted .* v2 to production \(was v1\): v2 macro_f1 0\.85 vs production v1 0\.8/,
    );

    const worse = await mercato('models', 'promote', NAME, '3', '--metric', 'macro_f1', '--margin', '0.01');
    expect(worse.code).toBe(1);
    expect(worse.stdout).toMatch(
      /^rejected: .* v3 stays off production: v3 macro_f1 0\.84 vs production v2 0\.85/,
    );
    const worseJson = await mercato('models', 'promote', NAME, '3', '--metric', 'macro_f1', '--json');
    expect(worseJson.code).toBe(1);
    expect(JSON.parse(worseJson.stdout)).toMatchObject({
      outcome: 'rejected',
      version: 2,
      requestedVersion: 3,
    });

    const staging = await mercato('models', 'promote', NAME, '3', '--alias', 'staging', '--json');
    expect(JSON.parse(staging.stdout)).toMatchObject({ outcome: 'promoted', alias: 'staging', version: 3 });

    const show = await mercato('models', 'show', NAME);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain(`${NAME} (sentiment) — headline sentiment`);
    expect(show.stdout).toContain('aliases: production=v2 staging=v3');
    expect(show.stdout).toMatch(/VERSION\s+STATUS\s+ALIASES\s+METRICS\s+FILES\s+SIZE\s+CREATED/);
    expect(show.stdout).toMatch(/v2\s+registered\s+production\s+accuracy=0\.87 macro_f1=0\.85\s+3\s+\d+ B/);

    const back = await mercato('models', 'rollback', NAME, '--reason', 'complaints');
    expect(back.code).toBe(0);
    expect(back.stdout.trim()).toBe(`rolled back ${NAME} production to v1 (was v2)`);
    const nothing = await mercato('models', 'rollback', NAME);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toMatch(
      /mercato: model registry answered 409: .*no earlier version to roll back to/,
    );

    const history = await mercato('models', 'history', NAME);
    const rows = history.stdout.trim().split('\n').slice(1);
    expect(rows.map((r) => r.split(/\s{2,}/).slice(1, 5))).toEqual([
      ['rollback', 'v2', 'v1', 'development'],
      // Refusals are decisions too: production stayed on v2, v3 was refused (twice), with the figures.
      ['rejected', 'v2', 'v3', 'development'],
      ['rejected', 'v2', 'v3', 'development'],
      ['promote (undone)', 'v1', 'v2', 'development'],
      ['promote', '-', 'v1', 'development'],
    ]);
    expect(rows[1]).toMatch(
      /v3 macro_f1 0\.84 vs production v2 0\.85 \(its registration metrics\).*does not beat the champion/,
    );
    expect(rows[3]).toMatch(/v2 macro_f1 0\.85 vs production v1 0\.8 .*beats the champion/);
    const showJson = JSON.parse((await mercato('models', 'show', NAME, '--json')).stdout) as {
      aliases: Record<string, number>;
      versions: unknown[];
    };
    expect(showJson.aliases).toEqual({ production: 1, staging: 3 });
    expect(showJson.versions).toHaveLength(3);
  });

  // One model reference syntax everywhere (issue 14): name@version and name@alias name a version.
  // After the test above: v2 holds no alias (rolled back), staging points at v3.
  it('shows the version a reference names: name@version, name@alias', async () => {
    const atVersion = await mercato('models', 'show', `${NAME}@2`);
    expect(atVersion.code).toBe(0);
    expect(atVersion.stdout.startsWith(`${NAME} v2\nmetrics: accuracy=0.87 macro_f1=0.85\n`)).toBe(true);
    expect(atVersion.stdout).toMatch(/model\.json\s+\d+ B\s+[0-9a-f]{64}/);
    const atAlias = JSON.parse((await mercato('models', 'show', `${NAME}@staging`, '--json')).stdout) as {
      version: number;
      files: unknown[];
    };
    expect(atAlias).toMatchObject({ version: 3 });
    expect(atAlias.files).toHaveLength(3);
    expect((await mercato('models', 'show', `${NAME}@canary`)).stderr).toContain(
      'after "@" comes an alias (production, staging, shadow) or a version number, not "canary"',
    );
  });

  it("install-default registers the shipped default model as the platform's sentiment once", async () => {
    const first = await mercato('models', 'install-default');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /registered the shipped default model as the platform's v1 \(TFNS accuracy 0\.8\d\d, macro-F1 0\.8\d\d\)/,
    );
    const platform = new RegistryClient(url).forTenant(PLATFORM_TENANT);
    expect(await platform.resolveAlias('sentiment', 'production')).toBe(1);
    const version = await platform.version('sentiment', 1);
    expect(version.metrics.accuracy).toBeGreaterThan(0.85);
    expect(version.lineage).toMatchObject({
      source: 'libs/ml/assets/sentiment-default',
      architecture: 'student',
      trainData: { sha256: '184e6322b7f0e84c3103a83d198f1be8203de8b63a857f67a2964321b71c4e8d' },
    });
    const again = await mercato('models', 'install-default');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("sentiment: the platform's v1 is in production");
    expect((await platform.versions('sentiment')).map((v) => v.version)).toEqual([1]);
  });

  it('explains errors: unknown model, bad input, unreachable registry', async () => {
    const unknown = await mercato('models', 'show', 'no-such-model');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('model registry answered 404: model "no-such-model" does not exist');
    const badAlias = await mercato('models', 'promote', NAME, '2', '--alias', 'canary');
    expect(badAlias.stderr).toContain('alias: must be one of production, staging, shadow');
    expect((await mercato('models', 'promote', NAME, 'two')).stderr).toContain(
      '"two" is not a version number',
    );
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const down = await mercato('models', 'list', '--registry', nobody);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the model registry at ${nobody} (ECONNREFUSED)`);
  });
});

describe('mercato audit', () => {
  // After the promotions and rollbacks above, made with the development principal (AUTH_MODE=off).
  it("reads the registry's audit log: the credential's principal, the free-text reason, newest first", async () => {
    const table = await mercato('audit', '--service', 'model-registry', '--action', 'model.rollback');
    expect(table.code).toBe(0);
    expect(table.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\d{4}-\\S+\\s+model-registry\\s+\\S+\\s+development\\s+model\\.rollback\\s+${NAME}@production\\s+done\\s+"complaints"$`,
        ),
      ),
    ]);
    const json = await mercato('audit', '--action', 'model.', '--json');
    const { items } = JSON.parse(json.stdout) as {
      items: { service: string; principal: string; action: string; target: string; outcome: string }[];
    };
    const promotions = items.filter((e) => e.action === 'model.promote' && e.target === `${NAME}@production`);
    expect(promotions.map((e) => e.outcome)).toEqual(['rejected', 'rejected', 'promoted', 'promoted']);
    expect(new Set(items.map((e) => e.principal))).toEqual(new Set(['development']));
    expect(items.map((e) => e.action)).toContain('model.create');
  });

  it('records API key changes under the database role the keys command connected as', async () => {
    const created = await mercato(
      'keys',
      'create',
      '--tenant',
      'acme',
      '--scopes',
      'models:read',
      '--name',
      'audit-spec',
      '--json',
    );
    expect(created.code).toBe(0);
    const { id } = JSON.parse(created.stdout) as { id: string };
    expect((await mercato('keys', 'revoke', id)).code).toBe(0);
    const json = await mercato('audit', '--service', 'auth', '--tenant', 'acme', '--json');
    const { items } = JSON.parse(json.stdout) as {
      items: { principal: string; action: string; target: string }[];
    };
    expect(items.map(({ action, target }) => ({ action, target }))).toEqual([
      { action: 'key.revoke', target: `key ${id}` },
      { action: 'key.create', target: `key ${id}` },
    ]);
    expect(items[0]?.principal).toMatch(/^db:\w+$/);
  });

  it('refuses an unknown log, a bad --limit and a bad --since, naming the option', async () => {
    expect((await mercato('audit', '--service', 'billing')).stderr).toContain('--service: unknown billing');
    expect((await mercato('audit', '--limit', '0')).stderr).toContain('--limit: "0" must be an integer');
    expect((await mercato('audit', '--since', 'yesterday')).stderr).toContain(
      '--since: "yesterday" is neither a duration',
    );
  });
});
