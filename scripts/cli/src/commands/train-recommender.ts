// `mercato train recommender` and `mercato eval recommender`: MovieLens ratings (+ movies for the
// cold-start text features) trained offline in this process with the job code the training service
// runs, or submitted to the training service as a job; any recommender (a folder or the registry)
// evaluated on a split rebuilt exactly as training made it. Tables for people, --json for scripts.
import {
  evaluateRecommenderArtifact,
  parseRecommenderHyperparameters,
  prepareRecommenderData,
  RECOMMENDER_SPLITS,
  recommenderArtifactSeed,
  runRecommenderJob,
  RANKING_K,
  RECOMMENDER_METRICS,
  RECOMMENDER_PROTOCOLS,
  SAMPLED_NEGATIVES,
  type RecommenderEvaluation,
  type RecommenderHyperparameters,
  type RecommenderSplit,
} from '@mercato/ml';
import { resolve } from 'node:path';
import { parseSince } from './audit';
import { table } from './models';
import { fileDatasetRef, hpPairs, loadModel, runOffline, submitAndFollow } from './train-common';

interface SplitOptions {
  data?: string;
  items?: string;
  split?: string;
  test?: string;
  testSplit?: string;
  seed?: string;
}

export interface RecommenderTrainOptions extends SplitOptions {
  asOf?: string;
  splitAt?: string;
  objective?: string;
  epochs?: string;
  hp: string[];
  tag: string[];
  offline?: boolean;
  out?: string;
  name?: string;
  promote?: boolean;
  json?: boolean;
}

export interface RecommenderEvalOptions extends SplitOptions {
  data: string;
  model: string;
  json?: boolean;
}

/** Recommenders are per tenant: `recommender-<tenant>` (TENANT_ID, default `default`). */
export const defaultRecommenderName = (): string => `recommender-${process.env.TENANT_ID ?? 'default'}`;

function hyperparameters(opts: RecommenderTrainOptions): Partial<RecommenderHyperparameters> {
  const raw: Record<string, string> = hpPairs(opts.hp);
  if (opts.objective) raw.objective = opts.objective;
  if (opts.epochs) raw.epochs = opts.epochs;
  if (opts.seed) raw.seed = opts.seed;
  return parseRecommenderHyperparameters(raw);
}

function splitOf(opts: SplitOptions): RecommenderSplit | undefined {
  if (opts.split === undefined) return opts.test ? 'given' : undefined;
  if (opts.test) throw new Error('--split and --test exclude each other: --test is the held-out data');
  if (!RECOMMENDER_SPLITS.includes(opts.split as RecommenderSplit) || opts.split === 'given')
    throw new Error(`--split ${opts.split}: expected random, time or leave-last-out`);
  return opts.split as RecommenderSplit;
}

function testSplitOf(opts: SplitOptions): number | undefined {
  if (opts.testSplit === undefined) return undefined;
  const f = Number(opts.testSplit);
  if (!(f > 0 && f < 1))
    throw new Error(`--test-split ${opts.testSplit}: expected a fraction between 0 and 1`);
  return f;
}

/** Each figure's label names its protocol, as its metric key does (recommender-eval.ts). */
const LABELS: [string, string][] = [
  [RECOMMENDER_METRICS.rmse, 'RMSE'],
  [RECOMMENDER_METRICS.mae, 'MAE'],
  [RECOMMENDER_METRICS.hitRate, `HR@${RANKING_K} sampled${SAMPLED_NEGATIVES}`],
  [RECOMMENDER_METRICS.ndcg, `NDCG@${RANKING_K} sampled${SAMPLED_NEGATIVES}`],
  [RECOMMENDER_METRICS.recall, `recall@${RANKING_K} full`],
  [RECOMMENDER_METRICS.coverage, `coverage@${RANKING_K} full`],
];

/**
 * The model beside its baselines, one metric per row (a baseline without the metric stays blank),
 * then what each protocol is, and the evaluation's notes (a model no better than popularity).
 */
export function recommenderTable(evaluation: RecommenderEvaluation): string {
  const { metrics, baselines } = evaluation;
  const cell = (v: number | undefined): string => (v === undefined ? '' : v.toFixed(4));
  const rows = LABELS.filter(([key]) => metrics[key] !== undefined).map(([key, label]) => [
    label,
    cell(metrics[key]),
    cell(baselines[`popularity_${key}`]),
    cell(baselines[`global_mean_${key}`]),
  ]);
  const protocols = Object.values(RECOMMENDER_PROTOCOLS).filter(
    (p) => !p.startsWith('ratings') || metrics[RECOMMENDER_METRICS.rmse] !== undefined,
  );
  return [
    table(['metric', 'model', 'popularity', 'global mean'], rows),
    '',
    ...protocols.map((p) => `  ${p}`),
    ...evaluation.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

/**
 * Without --data: the tenant's interactions in the feature store, as the training service exports them
 * point in time (`as_of`, default the request's time) with the held-out part after `split_at`
 * (without it, the latest fraction by time). Options about files have no meaning there.
 */
function featureDatasetRef(opts: RecommenderTrainOptions): string {
  if (opts.offline)
    throw new Error(
      '--offline needs --data: the feature store is read through the training service (drop --offline)',
    );
  for (const [given, option] of [
    [opts.items, '--items'],
    [opts.test, '--test'],
    [opts.split, '--split'],
    [opts.testSplit, '--test-split'],
  ] as const)
    if (given !== undefined)
      throw new Error(`${option} needs --data: the feature store's dataset is split at --split-at`);
  const now = Date.now();
  const asOf = opts.asOf === undefined ? undefined : parseSince(opts.asOf, now, '--as-of');
  const splitAt = opts.splitAt === undefined ? undefined : parseSince(opts.splitAt, now, '--split-at');
  if (splitAt && splitAt.getTime() > (asOf?.getTime() ?? now))
    throw new Error(`--split-at ${splitAt.toISOString()} is after --as-of: nothing would be held out`);
  const params = new URLSearchParams();
  if (asOf) params.set('as_of', asOf.toISOString());
  if (splitAt) params.set('split_at', splitAt.toISOString());
  return `feature:interactions${params.size > 0 ? `?${params.toString()}` : ''}`;
}

/** The data and its options as the dataset reference a training request carries. */
function datasetRefOf(opts: RecommenderTrainOptions): string {
  if (opts.data === undefined) return featureDatasetRef(opts);
  if (opts.asOf !== undefined || opts.splitAt !== undefined)
    throw new Error('--as-of and --split-at are for the feature store: leave out --data');
  const params = new URLSearchParams();
  if (opts.items) params.set('items', resolve(opts.items));
  if (opts.test) params.set('test', resolve(opts.test));
  const split = splitOf(opts);
  if (split && split !== 'given') params.set('split', split);
  const testSplit = testSplitOf(opts);
  if (testSplit !== undefined) params.set('testSplit', String(testSplit));
  return fileDatasetRef(opts.data, params);
}

async function trainOffline(opts: RecommenderTrainOptions & { data: string }): Promise<void> {
  const done = await runOffline(
    {
      name: opts.name ?? defaultRecommenderName(),
      kind: 'recommender',
      datasetRef: datasetRefOf(opts),
      tags: opts.tag,
      out: opts.out,
      json: opts.json,
    },
    (onProgress) =>
      runRecommenderJob(
        {
          kind: 'recommender',
          ratingsPath: resolve(opts.data),
          itemsPath: opts.items && resolve(opts.items),
          testPath: opts.test && resolve(opts.test),
          split: splitOf(opts),
          testSplit: testSplitOf(opts),
          hyperparameters: hyperparameters(opts),
        },
        onProgress,
      ),
    (r) => ({ metrics: r.metrics, evaluation: r.evaluation, lineage: r.lineage, seconds: r.seconds }),
  );
  if (!done) return;
  const { out, result } = done;
  const { lineage } = result;
  const steady = lineage.history.length > 1 ? lineage.history.slice(1) : lineage.history;
  const samplesPerSecond =
    steady.reduce((s, e) => s + e.samplesPerSecond * e.seconds, 0) /
    steady.reduce((s, e) => s + e.seconds, 0);
  process.stdout.write(
    `\n${recommenderTable(result.evaluation)}\n\n` +
      `${lineage.hyperparameters.objective} model, ${lineage.split} split: ${lineage.trainExamples} training / ${lineage.testExamples} held-out interactions, ` +
      `HR/NDCG over ${result.metrics[RECOMMENDER_METRICS.rankingUsers]} users\n` +
      `trained in ${(result.metrics.train_seconds as number).toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s after the first epoch, backend ${lineage.backend}); ` +
      `job ${result.seconds.toFixed(1)} s\nmodel written to ${out}\n`,
  );
}

async function trainAsJob(opts: RecommenderTrainOptions): Promise<void> {
  const hp = hyperparameters(opts);
  await submitAndFollow(
    {
      modelName: opts.name ?? defaultRecommenderName(),
      kind: 'recommender',
      datasetRef: datasetRefOf(opts),
      hyperparameters: Object.fromEntries(Object.entries(hp).map(([k, v]) => [k, String(v)])),
      promoteIfBetter: Boolean(opts.promote),
      tags: opts.tag,
    },
    opts.json,
  );
}

export async function trainRecommender(opts: RecommenderTrainOptions): Promise<void> {
  const { data } = opts;
  if (opts.offline && data !== undefined) await trainOffline({ ...opts, data });
  else await trainAsJob(opts);
}

export async function evalRecommender(opts: RecommenderEvalOptions): Promise<void> {
  const model = await loadModel(opts.model);
  const seed = opts.seed === undefined ? recommenderArtifactSeed(model) : Number(opts.seed);
  if (!Number.isInteger(seed)) throw new Error(`--seed ${opts.seed}: expected an integer`);
  const data = prepareRecommenderData({
    ratingsPath: resolve(opts.data),
    itemsPath: opts.items && resolve(opts.items),
    testPath: opts.test && resolve(opts.test),
    split: splitOf(opts),
    testSplit: testSplitOf(opts),
    seed,
  });
  const evaluation = await evaluateRecommenderArtifact(model, data);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ model: model.label, split: data.split, train: data.train.length, test: data.test.length, ...evaluation, seed }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `${model.label} (${evaluation.objective}) on ${data.test.length} held-out interactions (${data.split} split, seed ${seed}; ` +
      `${evaluation.metrics[RECOMMENDER_METRICS.rankingUsers]} users ranked)\n\n${recommenderTable(evaluation)}\n`,
  );
}
