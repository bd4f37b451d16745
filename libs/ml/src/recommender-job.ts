// A recommender training job from data to registered-ready artifact, the twin of runSentimentJob:
// read the interactions (MovieLens files or rows handed in, e.g. a feature-store export), split them
// (a given split column, a seeded random fraction, the latest fraction by time, or leave-last-out),
// train with per-epoch progress, evaluate on the held-out part beside the global-mean and popularity
// baselines (recommender-eval.ts: the protocols the bench and `mercato eval` use too), and return the
// artifact with metrics and lineage. The training service runs it in a
// worker thread; `mercato train recommender --offline` runs the same function in the CLI process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readManifest, type ArtifactFile, type ModelArtifact } from './artifact';
import { selectBackend, type BackendPreference } from './backend';
import { readMovieLensItems, readMovieLensRatings } from './datasets';
import { CODE_VERSION, type JobProgress } from './jobs';
import { seededSplit } from '@mercato/synthetic';
import {
  RECOMMENDER_OBJECTIVES,
  recommenderHyperparameters,
  type Interaction,
  type RecommenderEpoch,
  type RecommenderHyperparameters,
  type RecommenderItem,
  type RecommenderObjective,
} from './recommender';
import { loadRecommender, recommenderToArtifact } from './recommender-artifact';
import {
  evaluateRecommender,
  evaluationPlan,
  leaveLastOut,
  modelScorer,
  RECOMMENDER_PROTOCOLS,
  type EvaluationPlan,
  type RecommenderEvaluation,
} from './recommender-eval';
import { trainRecommender } from './recommender-training';

/** An interaction row; `split` comes with datasets that carry their own split (feature-store exports). */
export interface RecommenderRow extends Interaction {
  split?: 'train' | 'test';
}

/**
 * - given: the rows' split column (or a separate test file);
 * - random: a seeded random fraction of the rows (the explicit-rating protocol);
 * - time: the latest fraction of the rows by timestamp, so nothing from the future is trained on;
 * - leave-last-out: each user's latest row (the ranking protocol of He et al.'s NCF).
 */
export type RecommenderSplit = 'given' | 'random' | 'time' | 'leave-last-out';

export const RECOMMENDER_SPLITS: readonly RecommenderSplit[] = ['given', 'random', 'time', 'leave-last-out'];

export interface RecommenderDataSpec {
  /** MovieLens ratings: `ratings.csv` or `u.data`. */
  ratingsPath?: string;
  /** MovieLens items: `movies.csv` or `u.item` (titles and genres feed the cold-start part). */
  itemsPath?: string;
  /** Held-out ratings in the same format: the split is then `given`. */
  testPath?: string;
  split?: RecommenderSplit;
  /** Held-out fraction for `random` and `time` (default 0.2). */
  testSplit?: number;
  /** Seed of the random split and the sampled negatives (default: the hyperparameters' seed). */
  seed?: number;
  /** Rows instead of files (feature-store datasets, generated data). */
  inline?: { interactions: RecommenderRow[]; items?: RecommenderItem[] };
}

export interface RecommenderJobSpec extends RecommenderDataSpec {
  kind: 'recommender';
  hyperparameters?: Partial<RecommenderHyperparameters>;
  backend?: BackendPreference;
  /** The current production version, evaluated on the very same held-out data and cases. */
  champion?: { files: ArtifactFile[]; version: number };
}

export interface PreparedRecommenderData {
  train: Interaction[];
  test: Interaction[];
  items: RecommenderItem[];
  split: RecommenderSplit;
  seed: number;
  datasetHash: string;
}

export interface RecommenderJobResult {
  artifact: ModelArtifact;
  metrics: Record<string, number>;
  evaluation: RecommenderEvaluation;
  lineage: {
    datasetHash: string;
    codeVersion: string;
    backend: string;
    hyperparameters: Record<string, number | string | boolean>;
    split: RecommenderSplit;
    testSplit?: number;
    trainExamples: number;
    testExamples: number;
    /** Per-epoch loss and throughput: how training progress reaches the registry. */
    history: RecommenderEpoch[];
  };
  /** The champion's metrics on the same held-out data (absent without a champion or when it failed). */
  champion?: { version: number; metrics: Record<string, number> } | { version: number; error: string };
  seconds: number;
}

const HP_ALIASES: Record<string, keyof RecommenderHyperparameters> = {
  dims: 'dim',
  lr: 'learningRate',
  reg: 'l2',
};

const NUMERIC_HP = new Set<string>(
  Object.keys(recommenderHyperparameters()).filter((k) => k !== 'objective'),
);

/**
 * Hyperparameters from strings (a training request's map, `--hp k=v`): the model's names plus the
 * short forms dims, lr and reg; objective is explicit, implicit or sequential. Throws on anything else.
 */
export function parseRecommenderHyperparameters(
  raw: Record<string, string | number>,
): Partial<RecommenderHyperparameters> {
  const out: Record<string, number | string> = {};
  for (const [given, value] of Object.entries(raw)) {
    const key = HP_ALIASES[given] ?? given;
    if (key === 'objective') {
      const objective = RECOMMENDER_OBJECTIVES.find((o) => o === value);
      if (!objective)
        throw new Error(
          `hyperparameters.objective: expected ${RECOMMENDER_OBJECTIVES.join(', ')}, got "${value}"`,
        );
      out.objective = objective;
      continue;
    }
    if (!NUMERIC_HP.has(key))
      throw new Error(
        `hyperparameters.${given}: unknown recommender hyperparameter (known: objective, ${[...NUMERIC_HP].join(', ')}, dims, lr, reg)`,
      );
    const n = typeof value === 'number' ? value : Number(value);
    if (!Number.isFinite(n) || (typeof value === 'string' && value.trim() === ''))
      throw new Error(`hyperparameters.${given}: expected a number, got "${value}"`);
    out[key] = n;
  }
  return out as Partial<RecommenderHyperparameters>;
}

function ratingsToRows(path: string): RecommenderRow[] {
  return readMovieLensRatings(path).map((r) => ({
    user: r.user,
    item: r.item,
    value: r.rating,
    timestamp: r.timestamp,
  }));
}

function hashRows(rows: readonly RecommenderRow[], items: readonly RecommenderItem[]): string {
  const h = createHash('sha256');
  for (const r of rows) h.update(`${r.user}\t${r.item}\t${r.value}\t${r.timestamp}\t${r.split ?? ''}\n`);
  for (const it of items) h.update(`${it.item}\t${it.text}\t${it.categories.join('|')}\n`);
  return `sha256:${h.digest('hex')}`;
}

function hashFiles(paths: (string | undefined)[]): string {
  const h = createHash('sha256');
  for (const p of paths) if (p) h.update(readFileSync(p));
  return `sha256:${h.digest('hex')}`;
}

/** The latest `fraction` of the rows by timestamp (ties: later in input order) are held out. */
export function timeSplit<T extends Interaction>(
  rows: readonly T[],
  fraction: number,
): { train: T[]; test: T[] } {
  const order = rows.map((r, i) => ({ t: r.timestamp, i })).sort((a, b) => a.t - b.t || a.i - b.i);
  const nTest = Math.round(rows.length * fraction);
  const held = new Set(order.slice(rows.length - nTest).map((o) => o.i));
  const train: T[] = [];
  const test: T[] = [];
  rows.forEach((r, i) => (held.has(i) ? test : train).push(r));
  return { train, test };
}

const strip = (r: RecommenderRow): Interaction => ({
  user: r.user,
  item: r.item,
  value: r.value,
  timestamp: r.timestamp,
});

/** Reads and splits the data the same way for training and for evaluating any model on it. */
export function prepareRecommenderData(spec: RecommenderDataSpec, defaultSeed = 42): PreparedRecommenderData {
  const seed = spec.seed ?? defaultSeed;
  const rows = spec.inline
    ? spec.inline.interactions
    : spec.ratingsPath
      ? ratingsToRows(spec.ratingsPath)
      : [];
  const items: RecommenderItem[] =
    spec.inline?.items ??
    (spec.itemsPath
      ? readMovieLensItems(spec.itemsPath).map((m) => ({ item: m.item, text: m.title, categories: m.genres }))
      : []);
  if (rows.length === 0) throw new Error('recommender dataset: no interactions');
  const datasetHash = spec.inline
    ? hashRows(rows, items)
    : hashFiles([spec.ratingsPath, spec.testPath, spec.itemsPath]);
  const fraction = spec.testSplit ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new Error('recommender dataset: testSplit must be in (0, 1)');

  let split: RecommenderSplit =
    spec.split ?? (spec.testPath || rows.some((r) => r.split !== undefined) ? 'given' : 'random');
  let train: Interaction[];
  let test: Interaction[];
  if (split === 'given') {
    if (spec.testPath) {
      train = rows.map(strip);
      test = ratingsToRows(spec.testPath).map(strip);
    } else {
      train = rows.filter((r) => r.split !== 'test').map(strip);
      test = rows.filter((r) => r.split === 'test').map(strip);
    }
    // A split point outside the data (an export without one, or one older than every row) leaves
    // one side empty: hold out the latest part instead, which is what a split point does.
    if (test.length === 0 || train.length === 0) {
      split = 'time';
      ({ train, test } = timeSplit([...train, ...test], fraction));
    }
  } else {
    const plain = rows.map(strip);
    if (split === 'random') ({ train, test } = seededSplit(plain, fraction, seed));
    else if (split === 'time') ({ train, test } = timeSplit(plain, fraction));
    else ({ train, test } = leaveLastOut(plain));
  }
  if (train.length === 0) throw new Error('recommender dataset: no training interactions after the split');
  if (test.length === 0) throw new Error('recommender dataset: no held-out interactions after the split');
  return { train, test, items, split, seed, datasetHash };
}

/** A model's evaluation on a plan (the same plan for the challenger, its baselines and the champion). */
async function evaluateArtifact(
  tf: Parameters<typeof loadRecommender>[0],
  artifact: { files: ArtifactFile[] },
  plan: EvaluationPlan,
): Promise<RecommenderEvaluation & { objective: RecommenderObjective; seed: number }> {
  const model = await loadRecommender(tf, artifact);
  return {
    ...evaluateRecommender(modelScorer(model), model.hp.objective, plan),
    objective: model.hp.objective,
    seed: model.hp.seed,
  };
}

export async function runRecommenderJob(
  spec: RecommenderJobSpec,
  onProgress: (p: JobProgress) => void = () => undefined,
): Promise<RecommenderJobResult> {
  const started = Date.now();
  const { tf, name: backend } = await selectBackend(spec.backend);
  onProgress({ stage: 'loading', message: `backend ${backend}` });
  const hp = recommenderHyperparameters(spec.hyperparameters);
  const data = prepareRecommenderData(spec, hp.seed);
  const testSplit = data.split === 'random' || data.split === 'time' ? (spec.testSplit ?? 0.2) : undefined;
  onProgress({
    stage: 'params',
    params: {
      datasetHash: data.datasetHash,
      codeVersion: CODE_VERSION,
      backend,
      hyperparameters: { ...hp },
      split: data.split,
      ...(testSplit === undefined ? {} : { testSplit }),
      trainExamples: data.train.length,
      testExamples: data.test.length,
    },
  });
  onProgress({
    stage: 'training',
    message: `${hp.objective}: ${data.train.length} training / ${data.test.length} held-out interactions (${data.split} split), ${data.items.length} catalogue items`,
  });
  const history: RecommenderEpoch[] = [];
  const t0 = performance.now();
  const model = await trainRecommender(tf, { interactions: data.train, items: data.items }, hp, (p) => {
    history.push(p);
    onProgress({
      stage: 'epoch',
      phase: 'train',
      epoch: p.epoch,
      epochs: p.epochs,
      loss: p.loss,
      samplesPerSecond: p.samplesPerSecond,
    });
  });
  const trainSeconds = (performance.now() - t0) / 1000;
  onProgress({
    stage: 'evaluating',
    message: `${data.test.length} held-out interactions (${RECOMMENDER_PROTOCOLS.sampled}; ${RECOMMENDER_PROTOCOLS.full})`,
  });
  const plan = evaluationPlan(data);
  const evaluation = evaluateRecommender(modelScorer(model), hp.objective, plan);
  for (const note of evaluation.notes) onProgress({ stage: 'evaluating', message: `note: ${note}` });
  const metrics: Record<string, number> = {
    ...evaluation.metrics,
    ...Object.fromEntries(Object.entries(evaluation.baselines).map(([k, v]) => [`baseline_${k}`, v])),
    train_seconds: trainSeconds,
    epochs: history.length,
    train_interactions: data.train.length,
    test_interactions: data.test.length,
  };
  let champion: RecommenderJobResult['champion'];
  if (spec.champion) {
    onProgress({ stage: 'evaluating', message: `production v${spec.champion.version} on the same data` });
    try {
      champion = {
        version: spec.champion.version,
        metrics: (await evaluateArtifact(tf, spec.champion, plan)).metrics,
      };
    } catch (err) {
      // A champion that cannot be scored (corrupt, another format) must not fail the challenger.
      champion = { version: spec.champion.version, error: (err as Error).message };
    }
  }
  onProgress({ stage: 'packaging', message: 'model.json + weights + manifest' });
  const artifact = await recommenderToArtifact(tf, model, {
    metrics,
    backend,
    createdAt: new Date().toISOString(),
  });
  return {
    artifact,
    metrics,
    evaluation,
    champion,
    lineage: {
      datasetHash: data.datasetHash,
      codeVersion: CODE_VERSION,
      backend,
      hyperparameters: { ...hp },
      split: data.split,
      testSplit,
      trainExamples: data.train.length,
      testExamples: data.test.length,
      history,
    },
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Scores prepared data with an existing recommender artifact, with the job's protocols and baselines
 * (`mercato eval recommender`).
 */
export async function evaluateRecommenderArtifact(
  artifact: { files: { path: string; bytes: Uint8Array }[] },
  data: PreparedRecommenderData,
  backend?: BackendPreference,
): Promise<RecommenderEvaluation & { objective: RecommenderObjective; seed: number }> {
  const { tf } = await selectBackend(backend);
  return evaluateArtifact(tf, artifact, evaluationPlan(data));
}

/** The seed stored in a recommender artifact's hyperparameters (the split `eval` reproduces by default). */
export function recommenderArtifactSeed(artifact: { files: ArtifactFile[] }): number {
  const manifest = readManifest(artifact);
  if (manifest.kind !== 'recommender') throw new Error(`not a recommender artifact (kind ${manifest.kind})`);
  return Number(manifest.hyperparameters.seed ?? 42);
}
