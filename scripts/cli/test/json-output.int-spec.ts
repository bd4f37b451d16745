// `--json` is for scripts: every command that offers it prints exactly one JSON document on stdout,
// and nothing else (diagnostics of the native-TensorFlow check, npm, the build, loggers and progress
// go to stderr). Each command runs as a user runs it, through scripts/cli/bin/mercato (what
// `npx mercato` executes: scripts/run.sh, then the CLI), against real services on the real broker
// and a fresh database. The list of --json commands comes from the CLI's own definition, so a new
// one fails this spec until it is run here too.
import {
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
import { generateNews, generateRetail } from '@mercato/synthetic';
import { Topics } from '@mercato/contracts';
import type { Command } from 'commander';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgram } from '../src/program';
import { runCli } from './run-cli';
const RUN = uniqueSuffix();
const dir = mkdtempSync(join(tmpdir(), 'cli-json-'));
const sentimentCsv = join(dir, 'headlines.csv');
const ratingsCsv = join(dir, 'ratings.csv');
const SENTIMENT = `cli-json-sentiment-${RUN}`;
const RECOMMENDER = `cli-json-recommender-${RUN}`;
/** One short epoch of each kind: this spec is about the output, not the models. */
const SENTIMENT_TRAINING = ['sentiment', '--architecture', 'cnn', '--data', sentimentCsv, '--epochs', '1'];
const RECOMMENDER_TRAINING = ['recommender', '--data', ratingsCsv, '--epochs', '1', '--hp', 'dims=8'];

let db: TestDatabase;
const services: Partial<Record<'model-registry' | 'training' | 'ingest' | 'feature', ServiceProcess>> = {};
let env: Record<string, string>;
/** The command paths (e.g. "models show") this spec ran with --json. */
const ran = new Set<string>();

/** Every command path whose command has a --json option. */
function jsonCommands(command: Command, path: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const here = [...path, sub.name()];
    const own = sub.options.some((o) => o.long === '--json') ? [here.join(' ')] : [];
    return [...own, ...jsonCommands(sub, here)];
  });
}

/** Runs `mercato <args> --json` as `npx mercato` does; exit 0 and one JSON document on stdout. */
async function mercatoJson(path: string, args: string[]): Promise<any> {
  const { code, stdout, stderr } = await runCli([...path.split(' '), ...args, '--json'], { env });
  expect({ path, code, stderr: code === 0 ? '' : stderr }).toEqual({ path, code: 0, stderr: '' });
  let document: unknown;
  expect(() => (document = JSON.parse(stdout)), `stdout of mercato ${path} --json:\n${stdout}`).not.toThrow();
  ran.add(path);
  return document;
}

beforeAll(async () => {
  writeFileSync(
    sentimentCsv,
    `text,label\n${generateNews({
      seed: 3,
      count: 240,
      start: new Date('2026-03-02T00:00:00Z'),
      spacingMs: 60_000,
    })
      .map((a) => `"${a.headline.replace(/"/g, '""')}",${a.sentiment}`)
      .join('\n')}\n`,
  );
  const { interactions } = generateRetail({
    seed: 2,
    users: 40,
    items: 60,
    interactionsPerUser: 12,
    start: new Date('2026-01-01T00:00:00Z'),
    spacingMs: 1_000,
  });
  writeFileSync(
    ratingsCsv,
    `userId,movieId,rating,timestamp\n${interactions
      .map((r, i) => `${r.user_id},${r.item_id},${1 + (i % 5)},${1_700_000_000 + i}`)
      .join('\n')}\n`,
  );

  db = await createTestDatabase('cli_json');
  const kafka = testKafka();
  const trainingGroup = `cli-json-training-${RUN}`;
  const featureGroup = `cli-json-feature-${RUN}`;
  await startGroupAtEnd(kafka, trainingGroup, [Topics.trainingRequests.name]);
  await startGroupAtEnd(kafka, featureGroup, [
    Topics.newsRaw.name,
    Topics.interactionsRaw.name,
    Topics.catalogItems.name,
  ]);
  const common = { DATABASE_URL: db.url, KAFKA_BROKERS: requireEnv('KAFKA_BROKERS'), LOG_LEVEL: 'warn' };
  const port = async (): Promise<string> => String(await freePort());
  services['model-registry'] = await startService('model-registry', { ...common, HTTP_PORT: await port() });
  const registryUrl = services['model-registry'].url;
  const featurePort = await port();
  const [training, ingest, feature] = await Promise.all([
    startService(
      'training',
      {
        ...common,
        HTTP_PORT: await port(),
        MODEL_REGISTRY_URL: registryUrl,
        KAFKA_CONSUMER_GROUP: trainingGroup,
      },
      180_000,
    ),
    startService('ingest', {
      ...common,
      HTTP_PORT: await port(),
      FEATURE_URL: `http://127.0.0.1:${featurePort}`,
    }),
    startService('feature', { ...common, HTTP_PORT: featurePort, KAFKA_CONSUMER_GROUP: featureGroup }),
  ]);
  Object.assign(services, { training, ingest, feature });
  env = {
    DATABASE_URL: db.url,
    MODEL_REGISTRY_URL: registryUrl,
    TRAINING_URL: training.url,
    INGEST_URL: ingest.url,
  };
}, 300_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s?.stop()));
  await db?.drop();
});

describe('every --json command prints one JSON document on stdout', () => {
  it('keys create, list, rotate, revoke', async () => {
    const created = await mercatoJson('keys create', [
      '--tenant',
      'acme',
      '--scopes',
      'news:write,alerts:read',
      '--name',
      `desk-${RUN}`,
    ]);
    expect(created).toMatchObject({ tenant: 'acme', status: 'active', key: expect.stringMatching(/^mk_/) });
    const listed = await mercatoJson('keys list', ['--tenant', 'acme']);
    expect(listed.items.map((k: { id: string }) => k.id)).toContain(created.id);
    const rotated = await mercatoJson('keys rotate', [created.id]);
    expect(rotated.previous.id).toBe(created.id);
    expect(await mercatoJson('keys revoke', [rotated.id])).toMatchObject({
      id: rotated.id,
      status: 'revoked',
    });
    const audit = await mercatoJson('audit', ['--service', 'auth', '--tenant', 'acme']);
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual([
      'key.revoke',
      'key.rotate',
      'key.create',
    ]);
  }, 120_000);

  it('train and eval, offline, sentiment and recommender', async () => {
    const sentimentOut = join(dir, 'sentiment-model');
    const trained = await mercatoJson('train', [...SENTIMENT_TRAINING, '--offline', '--out', sentimentOut]);
    expect(trained.out).toBe(sentimentOut);
    const evaluated = await mercatoJson('eval', [
      'sentiment',
      '--model',
      sentimentOut,
      '--data',
      sentimentCsv,
    ]);
    expect(evaluated.examples).toBe(240);

    const recommenderOut = join(dir, 'recommender-model');
    await mercatoJson('train', [...RECOMMENDER_TRAINING, '--offline', '--out', recommenderOut]);
    const recs = await mercatoJson('eval', ['recommender', '--model', recommenderOut, '--data', ratingsCsv]);
    expect(recs.split).toBe('random');
  }, 300_000);

  it('train as jobs through the training service, then models list, show, promote, rollback, history', async () => {
    const first = await mercatoJson('train', [...SENTIMENT_TRAINING, '--name', SENTIMENT, '--promote']);
    expect(first).toMatchObject({ status: 'succeeded', version: 1 });
    const second = await mercatoJson('train', [...SENTIMENT_TRAINING, '--name', SENTIMENT]);
    expect(second).toMatchObject({ status: 'succeeded', version: 2 });
    await mercatoJson('train', [...RECOMMENDER_TRAINING, '--name', RECOMMENDER]);

    const listed = await mercatoJson('models list', []);
    expect(listed.items.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining([SENTIMENT, RECOMMENDER]),
    );
    expect((await mercatoJson('models show', [SENTIMENT])).versions).toHaveLength(2);
    expect(await mercatoJson('models promote', [SENTIMENT, '2', '--force'])).toMatchObject({
      outcome: 'promoted',
      version: 2,
    });
    expect(await mercatoJson('models rollback', [SENTIMENT])).toMatchObject({ version: 1 });
    expect((await mercatoJson('models history', [SENTIMENT])).items.length).toBeGreaterThanOrEqual(3);
    expect(await mercatoJson('models lineage', [`${SENTIMENT}@2`])).toMatchObject({
      model: SENTIMENT,
      version: 2,
      kind: 'sentiment',
    });
  }, 600_000);

  it('runs import, list, show, compare and tensorboard: the offline run and the job runs', async () => {
    const sentimentOut = join(dir, 'sentiment-model');
    const imported = await mercatoJson('runs import', [sentimentOut]);
    expect(imported.items).toEqual([{ folder: sentimentOut, runId: expect.any(String), imported: true }]);
    const offlineRun = imported.items[0].runId as string;
    const listed = await mercatoJson('runs list', []);
    expect(listed.items.map((r: { runId: string }) => r.runId)).toContain(offlineRun);
    const jobs = (await mercatoJson('runs list', ['--model', SENTIMENT])).items;
    expect(jobs).toHaveLength(2);
    expect(jobs.map((r: { registeredVersion: number }) => r.registeredVersion).sort()).toEqual([1, 2]);

    const shown = await mercatoJson('runs show', [offlineRun]);
    expect(shown.run).toMatchObject({ runId: offlineRun, source: 'offline', status: 'finished' });
    expect(shown.series.map((s: { name: string }) => s.name)).toContain('epoch/loss');

    const compared = await mercatoJson('runs compare', [offlineRun, jobs[0].runId, '--all-params']);
    expect(compared.runs).toHaveLength(2);
    // Same data, trained here and through the stack: the data agrees, how it ran does not.
    expect(compared.parameters.find((p: { name: string }) => p.name === 'datasetRef')).toMatchObject({
      differs: false,
    });
    expect(compared.parameters.find((p: { name: string }) => p.name === 'attempt')).toMatchObject({
      values: [null, 1],
      differs: true,
    });
    expect(compared.series.find((s: { name: string }) => s.name === 'epoch/loss').runs).toHaveLength(2);

    const logdir = join(dir, 'tensorboard');
    const written = await mercatoJson('runs tensorboard', [offlineRun, '--logdir', logdir]);
    expect(written.runs[0]).toMatchObject({ runId: offlineRun, points: expect.any(Number) });
    expect(
      readdirSync(written.runs[0].dir).filter((f: string) => f.startsWith('events.out.tfevents.')),
    ).toHaveLength(1);
  }, 120_000);

  it('runs show and compare as tables with sparklines, non-finite values as gaps', async () => {
    const diverged = join(dir, 'diverged-run');
    mkdirSync(diverged);
    const at = new Date().toISOString();
    const runId = `diverged-${RUN}`;
    writeFileSync(
      join(diverged, 'run.json'),
      JSON.stringify({
        format: 'mercato-run/1',
        runId,
        model: 'diverged',
        kind: 'sentiment',
        architecture: 'cnn',
        source: 'offline',
        status: 'failed',
        params: { hyperparameters: { learningRate: 10 } },
        tags: [],
        metrics: {},
        error: 'loss diverged',
        startedAt: at,
        finishedAt: at,
        series: {
          'epoch/loss': [1, 0.5, 'Infinity', 'NaN'].map((value, i) => ({ step: i + 1, value, at })),
        },
      }),
    );
    expect((await runCli(['runs', 'import', diverged], { env })).code).toBe(0);
    const show = await runCli(['runs', 'show', runId], { env });
    expect(show).toMatchObject({ code: 0, stderr: '' });
    expect(show.stdout).toContain('error: loss diverged');
    // The two finite points drawn, the two others blank; the per-epoch table names them.
    expect(show.stdout).toMatch(/epoch\/loss +4 +█▁ {2} /);
    expect(show.stdout).toMatch(/^3 +Infinity/m);
    expect(show.stdout).toMatch(/^4 +NaN/m);

    const other = (await mercatoJson('runs list', ['--model', SENTIMENT])).items[0].runId;
    const compare = await runCli(['runs', 'compare', runId, other], { env });
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/parameters: \d+ of \d+ differ/);
    expect(compare.stdout).toMatch(/hyperparameters\.learningRate +10 /);
    expect(compare.stdout).toContain('curves (each series on one scale');
    expect((await runCli(['runs', 'show', 'no-such-run'], { env })).stderr).toMatch(
      /404.*no run no-such-run/,
    );
  }, 120_000);

  it('replay news and users delete, through ingest', async () => {
    expect(await mercatoJson('replay news', [sentimentCsv, '--source', `cli-json-${RUN}`])).toMatchObject({
      sent: 240,
      rejected: 0,
    });
    expect(await mercatoJson('users delete', [`u-${RUN}`])).toEqual({ deleted: true });
  }, 120_000);

  it('encoder install (the pinned encoder, staged once per checkout and then a no-op)', async () => {
    const staged = await mercatoJson('encoder install', []);
    expect(staged.sha256).toMatch(/^53aa5117/);
  }, 300_000);

  it('ran every command of the CLI that has --json', () => {
    expect([...ran].sort()).toEqual(jsonCommands(createProgram()).sort());
  });
});
