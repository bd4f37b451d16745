// A recommender training job from data to registered-ready artifact, the twin of runSentimentJob:
// read the interactions (MovieLens files or rows handed in, e.g. a feature-store export), split them
// (a given split column, a seeded random fraction, the latest fraction by time, or leave-last-out),
// train with per-epoch progress, evaluate on the held-out part beside the global-mean and popularity
// baselines, and return the artifact with metrics and lineage. The training service runs it in a
// worker thread; `mercato train recommender --offline` runs the same function in the CLI process.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readManifest, type ArtifactFile, type ModelArtifact } from './artifact';
import { selectBackend, type BackendPreference } from './backend';
import { readMovieLensItems, readMovieLensRatings } from './datasets';
import { CODE_VERSION, type JobProgress } from './jobs';
import { mean, ndcgAtK, hitAtK, recallAtK } from './metrics';
import { seededRandom, seededShuffle, seededSplit } from './random';
import {
  RecommenderModel,
  recommenderHyperparameters,
  type Interaction,
  type RecommenderEpoch,
  type RecommenderHyperparameters,
  type RecommenderItem,
  type RecommenderObjective,
} from './recommender';
import { leaveLastOut } from './recommender-eval';

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

/** The evaluation's figures; metric names follow the registry's (`ndcg_at_10` etc.). */
export interface RecommenderEvaluation {
  metrics: Record<string, number>;
  /** The same protocol run on the baselines (popularity; global mean for ratings). */
  baselines: Record<string, number>;
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
 * short forms dims, lr and reg; objective is explicit or implicit. Throws on anything else.
 */
export function parseRecommenderHyperparameters(
  raw: Record<string, string | number>,
): Partial<RecommenderHyperparameters> {
  const out: Record<string, number | string> = {};
  for (const [given, value] of Object.entries(raw)) {
    const key = HP_ALIASES[given] ?? given;
    if (key === 'objective') {
      if (value !== 'explicit' && value !== 'implicit')
        throw new Error(`hyperparameters.objective: expected explicit or implicit, got "${value}"`);
      out.objective = value;
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

const K = 10;
const SAMPLED_NEGATIVES = 99;
/** Full-catalogue top-K (recall, coverage) is computed for at most this many held-out users. */
const MAX_TOPK_USERS = 5_000;

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

/** What evaluation needs of a model: scores of given items for a user, and a full-catalogue top-K. */
interface Scorer {
  scoreItems(user: string, items: string[]): ArrayLike<number>;
  topK(user: string, k: number, exclude: Set<string>): string[];
  predict?(pairs: { user: string; item: string }[]): ArrayLike<number>;
}

function modelScorer(model: RecommenderModel): Scorer {
  return {
    scoreItems: (user, items) => model.scoreItems(user, items),
    topK: (user, k, exclude) => model.topK(user, k, { exclude }).map((s) => s.item),
    predict: model.hp.objective === 'explicit' ? (pairs) => model.predict(pairs) : undefined,
  };
}

function popularityScorer(train: readonly Interaction[]): Scorer {
  const counts = new Map<string, number>();
  for (const r of train) counts.set(r.item, (counts.get(r.item) ?? 0) + 1);
  const ranking = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([it]) => it);
  return {
    scoreItems: (_user, items) => items.map((it) => counts.get(it) ?? 0),
    topK: (_user, k, exclude) => {
      const out: string[] = [];
      for (const it of ranking) {
        if (out.length === k) break;
        if (!exclude.has(it)) out.push(it);
      }
      return out;
    },
  };
}

interface RankingCase {
  user: string;
  heldOut: string;
  candidates: string[];
}

/** Evaluation plan shared by the model, the baselines and a champion: the same cases for all. */
interface EvaluationPlan {
  cases: RankingCase[];
  /** Held-out users (sampled when many) with their training items (excluded) and held-out items. */
  topKUsers: { user: string; exclude: Set<string>; relevant: Set<string> }[];
  catalogueSize: number;
  test: Interaction[];
  train: Interaction[];
}

function addTo(map: Map<string, Set<string>>, key: string, item: string): void {
  const set = map.get(key);
  if (set) set.add(item);
  else map.set(key, new Set([item]));
}

/**
 * Leave-last-out over the held-out part: each held-out user's latest held-out item, ranked against
 * 99 sampled items the user never touched (in training or held-out data), seeded.
 */
function evaluationPlan(data: PreparedRecommenderData): EvaluationPlan {
  const { train, test, items, seed } = data;
  const touched = new Map<string, Set<string>>();
  const trainItems = new Map<string, Set<string>>();
  for (const r of train) {
    addTo(touched, r.user, r.item);
    addTo(trainItems, r.user, r.item);
  }
  const latest = new Map<string, Interaction>();
  const relevant = new Map<string, Set<string>>();
  for (const r of test) {
    addTo(touched, r.user, r.item);
    addTo(relevant, r.user, r.item);
    const prev = latest.get(r.user);
    if (!prev || r.timestamp >= prev.timestamp) latest.set(r.user, r);
  }
  const catalogue = [
    ...new Set([...train.map((r) => r.item), ...test.map((r) => r.item), ...items.map((it) => it.item)]),
  ];
  const rand = seededRandom(seed);
  const cases: RankingCase[] = [];
  let k = 0;
  for (const [user, r] of latest) {
    const userItems = touched.get(user) as Set<string>;
    k++;
    if (catalogue.length - userItems.size < SAMPLED_NEGATIVES) continue;
    const picked = new Set<string>();
    while (picked.size < SAMPLED_NEGATIVES) {
      const item = catalogue[Math.floor(rand() * catalogue.length)] as string;
      if (!userItems.has(item)) picked.add(item);
    }
    cases.push({ user, heldOut: r.item, candidates: seededShuffle([r.item, ...picked], seed + k) });
  }
  const users = seededShuffle([...relevant.keys()], seed + 1).slice(0, MAX_TOPK_USERS);
  return {
    cases,
    topKUsers: users.map((user) => ({
      user,
      exclude: trainItems.get(user) ?? new Set(),
      relevant: relevant.get(user) as Set<string>,
    })),
    catalogueSize: catalogue.length,
    test,
    train,
  };
}

function evaluateScorer(plan: EvaluationPlan, scorer: Scorer): Record<string, number> {
  const hits: number[] = [];
  const ndcgs: number[] = [];
  for (const c of plan.cases) {
    const s = scorer.scoreItems(c.user, c.candidates);
    // Stable on ties: the shuffled candidate order decides, so ties favour nobody.
    const ranked = c.candidates
      .map((item, i) => ({ item, s: s[i] as number, i }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.item);
    hits.push(hitAtK(ranked, c.heldOut, K));
    ndcgs.push(ndcgAtK(ranked, c.heldOut, K));
  }
  const recalls: number[] = [];
  const reached = new Set<string>();
  for (const u of plan.topKUsers) {
    const list = scorer.topK(u.user, K, u.exclude);
    recalls.push(recallAtK(list, u.relevant, K));
    for (const it of list) reached.add(it);
  }
  const out: Record<string, number> = {
    hr_at_10: mean(hits),
    ndcg_at_10: mean(ndcgs),
    recall_at_10: mean(recalls),
    coverage_at_10: plan.catalogueSize === 0 ? 0 : reached.size / plan.catalogueSize,
  };
  if (scorer.predict) {
    const predicted = scorer.predict(plan.test.map((r) => ({ user: r.user, item: r.item })));
    let se = 0;
    let ae = 0;
    plan.test.forEach((r, i) => {
      const e = r.value - (predicted[i] as number);
      se += e * e;
      ae += Math.abs(e);
    });
    out.rmse = Math.sqrt(se / plan.test.length);
    out.mae = ae / plan.test.length;
  }
  return out;
}

function evaluateModel(
  model: RecommenderModel,
  data: PreparedRecommenderData,
  plan = evaluationPlan(data),
): RecommenderEvaluation {
  const metrics = evaluateScorer(plan, modelScorer(model));
  const pop = evaluateScorer(plan, popularityScorer(data.train));
  const baselines: Record<string, number> = {};
  for (const [k, v] of Object.entries(pop)) baselines[`popularity_${k}`] = v;
  if (model.hp.objective === 'explicit') {
    const globalMean = mean(data.train.map((r) => r.value));
    let se = 0;
    let ae = 0;
    for (const r of data.test) {
      se += (r.value - globalMean) ** 2;
      ae += Math.abs(r.value - globalMean);
    }
    baselines.global_mean_rmse = Math.sqrt(se / data.test.length);
    baselines.global_mean_mae = ae / data.test.length;
  }
  metrics.ranking_users = plan.cases.length;
  return { metrics, baselines };
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
  onProgress({
    stage: 'training',
    message: `${hp.objective}: ${data.train.length} training / ${data.test.length} held-out interactions (${data.split} split), ${data.items.length} catalogue items`,
  });
  const history: RecommenderEpoch[] = [];
  const t0 = performance.now();
  const model = await RecommenderModel.train(tf, { interactions: data.train, items: data.items }, hp, (p) => {
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
  onProgress({ stage: 'evaluating', message: `${data.test.length} held-out interactions` });
  const plan = evaluationPlan(data);
  const evaluation = evaluateModel(model, data, plan);
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
      const championModel = await RecommenderModel.fromArtifact(tf, spec.champion);
      champion = {
        version: spec.champion.version,
        metrics: evaluateModel(championModel, data, plan).metrics,
      };
    } catch (err) {
      // A champion that cannot be scored (corrupt, another format) must not fail the challenger.
      champion = { version: spec.champion.version, error: (err as Error).message };
    }
  }
  onProgress({ stage: 'packaging', message: 'model.json + weights + manifest' });
  const artifact = await model.toArtifact(tf, { metrics, backend, createdAt: new Date().toISOString() });
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
      testSplit: data.split === 'random' || data.split === 'time' ? (spec.testSplit ?? 0.2) : undefined,
      trainExamples: data.train.length,
      testExamples: data.test.length,
      history,
    },
    seconds: (Date.now() - started) / 1000,
  };
}

/**
 * Scores prepared data with an existing recommender artifact, with the job's protocol and baselines
 * (the champion comparison, `mercato eval recommender`).
 */
export async function evaluateRecommenderArtifact(
  artifact: { files: { path: string; bytes: Uint8Array }[] },
  data: PreparedRecommenderData,
  backend?: BackendPreference,
): Promise<RecommenderEvaluation & { objective: RecommenderObjective; seed: number }> {
  const { tf } = await selectBackend(backend);
  const model = await RecommenderModel.fromArtifact(tf, artifact);
  return { ...evaluateModel(model, data), objective: model.hp.objective, seed: model.hp.seed };
}

/** The seed stored in a recommender artifact's hyperparameters (the split `eval` reproduces by default). */
export function recommenderArtifactSeed(artifact: { files: ArtifactFile[] }): number {
  const manifest = readManifest(artifact);
  if (manifest.kind !== 'recommender') throw new Error(`not a recommender artifact (kind ${manifest.kind})`);
  return Number(manifest.hyperparameters.seed ?? 42);
}
