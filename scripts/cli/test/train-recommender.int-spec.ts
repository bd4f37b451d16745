// `mercato train recommender` and `mercato eval recommender` as a data scientist runs them (the built
// CLI as a process): offline on MovieLens-format files written here (u.data + u.item), with progress
// on stderr, a table or JSON on stdout, and an eval that rebuilds the training split and reproduces
// the job's figures; then as a job through the real training service and model registry (real
// broker, fresh database), evaluated back from the registry by name@alias. Bad options exit 1.
import {
  REPO_ROOT,
  createTestDatabase,
  freePort,
  requireEnv,
  startGroupAtEnd,
  startService,
  testKafka,
  uniqueSuffix,
  type ServiceProcess,
  type TestDatabase,
} from '@mercato/dev-stack';
import { generateRetail } from '@mercato/synthetic';
import { Topics } from '@mercato/contracts';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = join(REPO_ROOT, 'dist/scripts/cli/src/main.js');
const RUN = uniqueSuffix();
const dir = mkdtempSync(join(tmpdir(), 'cli-recs-'));
const uData = join(dir, 'u.data');
const uItem = join(dir, 'u.item');

// MovieLens 100K layout: u.data is user \t item \t rating \t timestamp; u.item is pipe-separated
// with 19 genre flags. The generated shop's eight categories stand in for eight of the genres.
function writeMovieLens100k(): void {
  const { items, interactions } = generateRetail({
    seed: 4,
    users: 150,
    items: 240,
    interactionsPerUser: 24,
    start: new Date('2026-01-01T00:00:00Z'),
    spacingMs: 1,
  });
  const categories = [...new Set(items.map((it) => it.categories[0]))];
  writeFileSync(
    uData,
    `${interactions
      .map((r, i) =>
        [
          r.user_id,
          r.item_id,
          r.type === 'rating' ? r.value : 4,
          880_000_000 + (i % 24) * 1000 + Math.floor(i / 24),
        ].join('\t'),
      )
      .join('\n')}\n`,
  );
  writeFileSync(
    uItem,
    `${items
      .map((it) => {
        const flags = Array.from({ length: 19 }, (_, g) =>
          g === 1 + categories.indexOf(it.categories[0] as string) ? '1' : '0',
        );
        return [it.item_id, it.title, '01-Jan-1995', '', 'http://example.invalid', ...flags].join('|');
      })
      .join('\n')}\n`,
  );
}

async function mercato(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    maxBuffer: 32 * 1024 * 1024,
  });
}

async function failing(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await mercato(args);
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
  throw new Error(`mercato ${args.join(' ')} succeeded`);
}

beforeAll(() => writeMovieLens100k());

describe('mercato train/eval recommender --offline', () => {
  const out = join(dir, 'model');
  const common = ['--data', uData, '--items', uItem, '--split', 'leave-last-out'];
  // The same small implicit model, trained once for the tables and once for --json.
  const implicitOffline = [
    'train',
    'recommender',
    ...common,
    '--objective',
    'implicit',
    '--epochs',
    '6',
    '--hp',
    'dims=16',
    '--hp',
    'batchSize=1024',
    '--seed',
    '5',
    '--offline',
  ];

  it('trains with progress and a table, writes the model, and eval reproduces the figures', async () => {
    const train = await mercato([...implicitOffline, '--out', out]);
    expect(train.stderr).toMatch(/train epoch 6\/6: loss \d+\.\d+/);
    expect(train.stdout).toMatch(/metric\s+model\s+popularity\s+global mean/);
    expect(train.stdout).toMatch(/HR@10 sampled99\s+0\.\d{4}\s+0\.\d{4}/);
    // Every figure names its protocol (issue 14): sampled negatives or the full catalogue.
    expect(train.stdout).toMatch(/recall@10 full\s+0\.\d{4}\s+0\.\d{4}/);
    expect(train.stdout).toContain("sampled: each held-out user's latest held-out item vs 99 sampled items");
    expect(train.stdout).toContain(
      "full: top-10 over the whole catalogue, the user's training items excluded",
    );
    expect(train.stdout).toMatch(/implicit model, leave-last-out split: 3450 training \/ 150 held-out/);
    for (const f of ['manifest.json', 'model.json', 'weights.bin'])
      expect(existsSync(join(out, f))).toBe(true);

    const trainedJson = await mercato([...implicitOffline, '--out', join(dir, 'model-json'), '--json']);
    const trained = JSON.parse(trainedJson.stdout);
    expect(trainedJson.stderr).not.toMatch(/epoch/);
    expect(trained.metrics.hr_at_10_sampled99).toBeGreaterThan(
      trained.metrics.baseline_popularity_hr_at_10_sampled99,
    );
    expect(trained.lineage).toMatchObject({
      split: 'leave-last-out',
      trainExamples: 3450,
      testExamples: 150,
    });
    expect(trained.lineage.history).toHaveLength(6);

    // The seed comes from the model, so eval rebuilds the same split and the same sampled negatives.
    const evaluated = JSON.parse(
      (await mercato(['eval', 'recommender', '--model', join(dir, 'model-json'), ...common, '--json']))
        .stdout,
    );
    expect(evaluated).toMatchObject({ split: 'leave-last-out', seed: 5, objective: 'implicit', test: 150 });
    expect(evaluated.metrics.hr_at_10_sampled99).toBeCloseTo(trained.metrics.hr_at_10_sampled99, 6);
    expect(evaluated.metrics.ndcg_at_10_sampled99).toBeCloseTo(trained.metrics.ndcg_at_10_sampled99, 6);
    expect(evaluated.baselines.popularity_hr_at_10_sampled99).toBeCloseTo(
      trained.metrics.baseline_popularity_hr_at_10_sampled99,
      6,
    );

    const table = await mercato(['eval', 'recommender', '--model', out, ...common]);
    expect(table.stdout).toMatch(/\(implicit\) on 150 held-out interactions \(leave-last-out split, seed 5/);
    expect(table.stdout).toMatch(/NDCG@10 sampled99\s+0\.\d{4}\s+0\.\d{4}/);
  }, 180_000);

  it('reports RMSE beside the global mean for an explicit model on a random split', async () => {
    const explicitOut = join(dir, 'explicit');
    const trained = JSON.parse(
      (
        await mercato([
          'train',
          'recommender',
          '--data',
          uData,
          '--items',
          uItem,
          '--test-split',
          '0.25',
          '--epochs',
          '4',
          '--offline',
          '--out',
          explicitOut,
          '--json',
        ])
      ).stdout,
    );
    expect(trained.lineage).toMatchObject({ split: 'random', testSplit: 0.25, testExamples: 900 });
    expect(trained.metrics.rmse).toBeGreaterThan(0);
    expect(trained.metrics.baseline_global_mean_rmse).toBeGreaterThan(0);
    const table = await mercato([
      'eval',
      'recommender',
      '--model',
      explicitOut,
      '--data',
      uData,
      '--test-split',
      '0.25',
    ]);
    expect(table.stdout).toMatch(/RMSE\s+\d\.\d{4}\s+\d\.\d{4}/);
    expect(table.stdout).toContain(trained.metrics.rmse.toFixed(4));
  }, 120_000);

  it('exits 1 with the reason on bad options', async () => {
    const split = await failing([
      'train',
      'recommender',
      '--data',
      uData,
      '--split',
      'sideways',
      '--offline',
    ]);
    expect(split.code).toBe(1);
    expect(split.stderr).toMatch(/--split sideways: expected random, time or leave-last-out/);
    const hp = await failing(['train', 'recommender', '--data', uData, '--hp', 'depth=3', '--offline']);
    expect(hp.stderr).toMatch(/unknown recommender hyperparameter/);
    const kind = await failing(['train', 'ranking', '--data', uData]);
    expect(kind.stderr).toMatch(/expected sentiment or recommender/);
    const notRecommender = await failing(['eval', 'recommender', '--model', dir, '--data', uData]);
    expect(notRecommender.code).toBe(1);
    // Without --data the feature store is the data: through the training service only, split in time.
    const offline = await failing(['train', 'recommender', '--offline']);
    expect(offline.stderr).toMatch(
      /--offline needs --data: the feature store is read through the training service/,
    );
    const fileSplit = await failing(['train', 'recommender', '--split', 'time']);
    expect(fileSplit.stderr).toMatch(/--split needs --data/);
    const inverted = await failing([
      'train',
      'recommender',
      '--as-of',
      '2026-03-01T00:00:00Z',
      '--split-at',
      '2026-03-02T00:00:00Z',
    ]);
    expect(inverted.stderr).toMatch(/--split-at 2026-03-02T00:00:00.000Z is after --as-of/);
    const badTime = await failing(['train', 'recommender', '--split-at', 'yesterday']);
    expect(badTime.stderr).toMatch(/--split-at: "yesterday" is neither a duration \(24h\) nor an ISO date/);
    const withFile = await failing(['train', 'recommender', '--data', uData, '--as-of', '1d']);
    expect(withFile.stderr).toMatch(/--as-of and --split-at are for the feature store: leave out --data/);
    const sentiment = await failing(['train', 'sentiment']);
    expect(sentiment.stderr).toMatch(/train sentiment: --data <file> is required/);
  }, 60_000);
});

describe('mercato train recommender through the training service', () => {
  let db: TestDatabase;
  let registry: ServiceProcess;
  let training: ServiceProcess;

  beforeAll(async () => {
    db = await createTestDatabase('clirec');
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS') };
    registry = await startService('model-registry', { ...env, HTTP_PORT: '18384' });
    const group = `cli-training-${RUN}`;
    await startGroupAtEnd(testKafka(), group, [Topics.trainingRequests.name]);
    training = await startService('training', {
      ...env,
      HTTP_PORT: '18383',
      KAFKA_CONSUMER_GROUP: group,
      MODEL_REGISTRY_URL: registry.url,
    });
  }, 120_000);

  afterAll(async () => {
    await training?.stop();
    await registry?.stop();
    await db?.drop();
  });

  it('submits a job, follows it, and evaluates the promoted version from the registry', async () => {
    const name = `recommender-cli-${RUN}`;
    const env = { TRAINING_URL: training.url, MODEL_REGISTRY_URL: registry.url };
    const args = ['--data', uData, '--items', uItem, '--split', 'leave-last-out'];
    const submitted = await mercato(
      [
        'train',
        'recommender',
        ...args,
        '--objective',
        'implicit',
        '--epochs',
        '4',
        '--name',
        name,
        '--promote',
        '--json',
      ],
      env,
    );
    const job = JSON.parse(submitted.stdout);
    expect(job).toMatchObject({ status: 'succeeded', version: 1, promotion: { outcome: 'promoted' } });
    // Where the job went, on stderr, before it started: the service, the credential, the model, then
    // the tenant and the registry the service answered with.
    expect(submitted.stderr).toContain('training as a job through the running stack');
    expect(submitted.stderr).toContain(`training service  ${training.url} (TRAINING_URL)`);
    expect(submitted.stderr).toContain(`model             ${name}: a new version, promoted if`);
    expect(submitted.stderr).toMatch(
      new RegExp(`submitted +request [0-9a-f-]{36} for tenant default; model registry ${registry.url}`),
    );
    const evaluated = JSON.parse(
      (await mercato(['eval', 'recommender', '--model', `${name}@production`, ...args, '--json'], env))
        .stdout,
    );
    expect(evaluated.model).toBe(`${name} v1`);
    expect(evaluated.metrics.hr_at_10_sampled99).toBeCloseTo(job.metrics.hr_at_10_sampled99, 6);
  }, 180_000);

  it('says how to train without a stack, in --help and when no training service answers', async () => {
    const help = (await mercato(['train', '--help'])).stdout;
    expect(help).toMatch(/\(default\) +a job through the running stack/);
    expect(help).toMatch(/--offline +trains in this process .* nothing is\s+registered/s);
    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await mercato(['train', 'recommender', '--data', uData], {
      TRAINING_URL: closed,
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(unreachable?.code).toBe(1);
    expect(unreachable?.stderr).toContain(
      `cannot reach the training service at ${closed} (ECONNREFUSED): start the stack (npx mercato up) or train here with --offline`,
    );
  }, 60_000);
});
