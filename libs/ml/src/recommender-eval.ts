// Offline evaluation of the recommender: the one code path the training job, `mercato eval
// recommender` and the benchmarks measure with. Every figure names its protocol:
// - sampled (`*_sampled99`): each held-out user's latest held-out item ranked against 99 items drawn
//   from the catalogue that the user never touched (He et al.'s NCF protocol): HR@10, NDCG@10;
// - full (`*_full`): a top-10 over the whole catalogue, the user's training items excluded: recall@10
//   over the user's held-out items, and the share of the catalogue the lists reach (coverage);
// - ratings: RMSE and MAE of every held-out rating (explicit objective only).
// The popularity baseline runs the very same cases (and the global mean the same ratings); a model
// that ranks below popularity gets a note saying so.
import { coverage, hitAtK, mae, mean, ndcgAtK, recallAtK, rmse } from './metrics';
import { seededRandom, seededShuffle, seededSplit } from '@mercato/synthetic';
import type { Interaction, RecommenderItem, RecommenderModel, RecommenderObjective } from './recommender';

export const RANKING_K = 10;
export const SAMPLED_NEGATIVES = 99;
/** Full-catalogue top-K (recall, coverage) is computed for at most this many held-out users. */
export const MAX_TOPK_USERS = 5_000;

/** Metric keys, each naming its protocol. */
export const RECOMMENDER_METRICS = {
  hitRate: `hr_at_${RANKING_K}_sampled${SAMPLED_NEGATIVES}`,
  ndcg: `ndcg_at_${RANKING_K}_sampled${SAMPLED_NEGATIVES}`,
  recall: `recall_at_${RANKING_K}_full`,
  coverage: `coverage_at_${RANKING_K}_full`,
  rmse: 'rmse',
  mae: 'mae',
  rankingUsers: 'ranking_users',
} as const;

/** What each protocol is, in words (CLI output, job progress). */
export const RECOMMENDER_PROTOCOLS = {
  sampled: `sampled: each held-out user's latest held-out item vs ${SAMPLED_NEGATIVES} sampled items the user never touched`,
  full: `full: top-${RANKING_K} over the whole catalogue, the user's training items excluded`,
  ratings: 'ratings: every held-out rating predicted',
} as const;

/** Seeded random split of the interactions (the explicit protocol). */
export function randomSplit(
  interactions: readonly Interaction[],
  testFraction: number,
  seed: number,
): { train: Interaction[]; test: Interaction[] } {
  return seededSplit(interactions, testFraction, seed);
}

/**
 * Each user's most recent interaction is held out (ties on timestamp: the later in input order);
 * users with a single interaction stay entirely in training, as they leave nothing to learn from.
 */
export function leaveLastOut(interactions: readonly Interaction[]): {
  train: Interaction[];
  test: Interaction[];
} {
  const last = new Map<string, number>();
  const counts = new Map<string, number>();
  interactions.forEach((r, k) => {
    counts.set(r.user, (counts.get(r.user) ?? 0) + 1);
    const prev = last.get(r.user);
    if (prev === undefined || r.timestamp >= (interactions[prev] as Interaction).timestamp)
      last.set(r.user, k);
  });
  const held = new Set<number>();
  for (const [user, k] of last) if ((counts.get(user) ?? 0) > 1) held.add(k);
  const train: Interaction[] = [];
  const test: Interaction[] = [];
  interactions.forEach((r, k) => (held.has(k) ? test : train).push(r));
  return { train, test };
}

export interface RankingCase {
  user: string;
  heldOut: string;
  /** The held-out item and the sampled negatives, in seeded random order (so ties favour nobody). */
  candidates: string[];
}

function addTo(map: Map<string, Set<string>>, key: string, item: string): void {
  const set = map.get(key);
  if (set) set.add(item);
  else map.set(key, new Set([item]));
}

/**
 * The sampled protocol's cases: for each held-out user, the latest held-out item (ties: the later in
 * input order) with `negatives` items drawn uniformly from `catalogue` that the user never interacted
 * with (in training or held-out data), seeded. Users with too few such items are skipped.
 */
export function rankingCases(
  train: readonly Interaction[],
  test: readonly Interaction[],
  catalogue: readonly string[],
  negatives: number,
  seed: number,
): RankingCase[] {
  const touched = new Map<string, Set<string>>();
  for (const r of train) addTo(touched, r.user, r.item);
  const latest = new Map<string, Interaction>();
  for (const r of test) {
    addTo(touched, r.user, r.item);
    const prev = latest.get(r.user);
    if (!prev || r.timestamp >= prev.timestamp) latest.set(r.user, r);
  }
  const rand = seededRandom(seed);
  const cases: RankingCase[] = [];
  let k = 0;
  for (const [user, r] of latest) {
    const userItems = touched.get(user) as Set<string>;
    k++;
    if (catalogue.length - userItems.size < negatives) continue;
    const picked = new Set<string>();
    while (picked.size < negatives) {
      const item = catalogue[Math.floor(rand() * catalogue.length)] as string;
      if (!userItems.has(item)) picked.add(item);
    }
    cases.push({ user, heldOut: r.item, candidates: seededShuffle([r.item, ...picked], seed + k) });
  }
  return cases;
}

export interface RankingReport {
  hitRate: number;
  ndcg: number;
  users: number;
  k: number;
}

/** HR@K and NDCG@K; `score` returns one score per candidate, in the case's candidate order. */
export function evaluateRanking(
  cases: readonly RankingCase[],
  score: (c: RankingCase) => ArrayLike<number>,
  k = RANKING_K,
): RankingReport {
  const hits: number[] = [];
  const ndcgs: number[] = [];
  for (const c of cases) {
    const s = score(c);
    // Stable sort on scores: ties keep the shuffled candidate order.
    const ranked = c.candidates
      .map((item, i) => ({ item, s: s[i] as number, i }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .map((x) => x.item);
    hits.push(hitAtK(ranked, c.heldOut, k));
    ndcgs.push(ndcgAtK(ranked, c.heldOut, k));
  }
  return { hitRate: mean(hits), ndcg: mean(ndcgs), users: cases.length, k };
}

/** A held-out user of the full protocol: the training items a list excludes, the held-out items. */
export interface TopKUser {
  user: string;
  exclude: Set<string>;
  relevant: Set<string>;
}

/** The full protocol's users: the held-out users (a seeded sample of at most `max`). */
export function topKUsers(
  train: readonly Interaction[],
  test: readonly Interaction[],
  seed: number,
  max = MAX_TOPK_USERS,
): TopKUser[] {
  const trainItems = itemsByUser(train);
  const relevant = itemsByUser(test);
  return seededShuffle([...relevant.keys()], seed + 1)
    .slice(0, max)
    .map((user) => ({
      user,
      exclude: trainItems.get(user) ?? new Set(),
      relevant: relevant.get(user) as Set<string>,
    }));
}

/** Recall@K over each user's held-out items and catalogue coverage of the users' top-K lists. */
export function evaluateTopK(
  users: readonly TopKUser[],
  topK: (user: string, k: number, exclude: Set<string>) => string[],
  catalogueSize: number,
  k = RANKING_K,
): { recall: number; coverage: number } {
  const lists = users.map((u) => topK(u.user, k, u.exclude));
  return {
    recall: mean(lists.map((list, i) => recallAtK(list, (users[i] as TopKUser).relevant, k))),
    coverage: coverage(lists, catalogueSize, k),
  };
}

export interface RatingReport {
  rmse: number;
  mae: number;
  n: number;
}

export function evaluateRatings(test: readonly Interaction[], predicted: ArrayLike<number>): RatingReport {
  const actual = test.map((r) => r.value);
  const pred = Array.from(predicted);
  return { rmse: rmse(actual, pred), mae: mae(actual, pred), n: test.length };
}

/** The global-mean baseline: every rating predicted as the training mean. */
export function globalMeanBaseline(
  train: readonly Interaction[],
  test: readonly Interaction[],
): RatingReport & { globalMean: number } {
  const globalMean = mean(train.map((r) => r.value));
  return { ...evaluateRatings(test, new Float32Array(test.length).fill(globalMean)), globalMean };
}

/** Training interactions per item: the popularity baseline's score. */
export function popularity(train: readonly Interaction[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of train) counts.set(r.item, (counts.get(r.item) ?? 0) + 1);
  return counts;
}

/** Items by training popularity, most popular first (ties by id, for stable output). */
export function popularityRanking(counts: Map<string, number>): string[] {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([item]) => item);
}

/** The popularity baseline's top-K for a user: the most popular items the user does not have yet. */
export function popularityTopK(ranking: readonly string[], k: number, exclude: Set<string>): string[] {
  const out: string[] = [];
  for (const item of ranking) {
    if (out.length === k) break;
    if (!exclude.has(item)) out.push(item);
  }
  return out;
}

/** Items each user interacted with (in training: what a top-K list excludes). */
export function itemsByUser(interactions: readonly Interaction[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of interactions) addTo(out, r.user, r.item);
  return out;
}

/** What evaluation needs of a model: scores of given items for a user, and a full-catalogue top-K. */
export interface RecommenderScorer {
  scoreItems(user: string, items: string[]): ArrayLike<number>;
  topK(user: string, k: number, exclude: Set<string>): string[];
  /** Rating predictions (explicit models only). */
  predict?(pairs: { user: string; item: string }[]): ArrayLike<number>;
}

export function modelScorer(model: RecommenderModel): RecommenderScorer {
  return {
    scoreItems: (user, items) => model.scoreItems(user, items),
    topK: (user, k, exclude) => model.topK(user, k, { exclude }).map((s) => s.item),
    predict: model.hp.objective === 'explicit' ? (pairs) => model.predict(pairs) : undefined,
  };
}

export function popularityScorer(train: readonly Interaction[]): RecommenderScorer {
  const counts = popularity(train);
  const ranking = popularityRanking(counts);
  return {
    scoreItems: (_user, items) => items.map((it) => counts.get(it) ?? 0),
    topK: (_user, k, exclude) => popularityTopK(ranking, k, exclude),
  };
}

/** The cases and users every scorer of one evaluation is measured on: the model, the baselines, a champion. */
export interface EvaluationPlan {
  cases: RankingCase[];
  topKUsers: TopKUser[];
  catalogueSize: number;
  train: Interaction[];
  test: Interaction[];
}

export function evaluationPlan(data: {
  train: Interaction[];
  test: Interaction[];
  items: readonly RecommenderItem[];
  seed: number;
}): EvaluationPlan {
  const { train, test, items, seed } = data;
  const catalogue = [
    ...new Set([...train.map((r) => r.item), ...test.map((r) => r.item), ...items.map((it) => it.item)]),
  ];
  return {
    cases: rankingCases(train, test, catalogue, SAMPLED_NEGATIVES, seed),
    topKUsers: topKUsers(train, test, seed),
    catalogueSize: catalogue.length,
    train,
    test,
  };
}

/** One scorer on a plan: its figures under their protocol-naming keys. */
export function scoreOnPlan(plan: EvaluationPlan, scorer: RecommenderScorer): Record<string, number> {
  const ranking = evaluateRanking(plan.cases, (c) => scorer.scoreItems(c.user, c.candidates));
  const full = evaluateTopK(
    plan.topKUsers,
    (u, k, exclude) => scorer.topK(u, k, exclude),
    plan.catalogueSize,
  );
  const out: Record<string, number> = {
    [RECOMMENDER_METRICS.hitRate]: ranking.hitRate,
    [RECOMMENDER_METRICS.ndcg]: ranking.ndcg,
    [RECOMMENDER_METRICS.recall]: full.recall,
    [RECOMMENDER_METRICS.coverage]: full.coverage,
  };
  if (scorer.predict) {
    const ratings = evaluateRatings(
      plan.test,
      scorer.predict(plan.test.map((r) => ({ user: r.user, item: r.item }))),
    );
    out[RECOMMENDER_METRICS.rmse] = ratings.rmse;
    out[RECOMMENDER_METRICS.mae] = ratings.mae;
  }
  return out;
}

/** The figures of an evaluation, and what a reader should know about them. */
export interface RecommenderEvaluation {
  metrics: Record<string, number>;
  /** The same protocols run on the baselines (`popularity_*`; `global_mean_*` for ratings). */
  baselines: Record<string, number>;
  /** Plain-language warnings, e.g. a model that ranks below the popularity baseline. */
  notes: string[];
}

/** What the figures say that a table of numbers does not. */
export function evaluationNotes(
  evaluation: Omit<RecommenderEvaluation, 'notes'>,
  objective: RecommenderObjective,
): string[] {
  const notes: string[] = [];
  const { metrics, baselines } = evaluation;
  const hr = RECOMMENDER_METRICS.hitRate;
  const model = metrics[hr];
  const pop = baselines[`popularity_${hr}`];
  if (model !== undefined && pop !== undefined && model < pop) {
    const why =
      objective === 'explicit'
        ? 'an explicit (rating) objective fits rating values, not rankings: train with --objective sequential (or implicit) for recommendations'
        : 'more epochs, data or a larger dim may help';
    notes.push(
      `HR@${RANKING_K} (${RECOMMENDER_PROTOCOLS.sampled}) is ${model.toFixed(4)}, below the popularity baseline's ${pop.toFixed(4)}: ${why}`,
    );
  }
  const rmseValue = metrics[RECOMMENDER_METRICS.rmse];
  const meanRmse = baselines[`global_mean_${RECOMMENDER_METRICS.rmse}`];
  if (rmseValue !== undefined && meanRmse !== undefined && rmseValue >= meanRmse)
    notes.push(
      `RMSE ${rmseValue.toFixed(4)} is no better than predicting the global mean (${meanRmse.toFixed(4)})`,
    );
  return notes;
}

/** A scorer evaluated on a plan beside the popularity baseline (and the global mean for ratings). */
export function evaluateRecommender(
  scorer: RecommenderScorer,
  objective: RecommenderObjective,
  plan: EvaluationPlan,
): RecommenderEvaluation {
  const metrics = scoreOnPlan(plan, scorer);
  const baselines: Record<string, number> = {};
  for (const [k, v] of Object.entries(scoreOnPlan(plan, popularityScorer(plan.train))))
    baselines[`popularity_${k}`] = v;
  if (objective === 'explicit') {
    const base = globalMeanBaseline(plan.train, plan.test);
    baselines[`global_mean_${RECOMMENDER_METRICS.rmse}`] = base.rmse;
    baselines[`global_mean_${RECOMMENDER_METRICS.mae}`] = base.mae;
  }
  metrics[RECOMMENDER_METRICS.rankingUsers] = plan.cases.length;
  return { metrics, baselines, notes: evaluationNotes({ metrics, baselines }, objective) };
}
