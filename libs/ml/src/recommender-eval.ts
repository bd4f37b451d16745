// Offline evaluation of the recommender with the protocols practitioners compare against: RMSE/MAE
// on a seeded random 80/20 split (explicit ratings), and HR@K / NDCG@K with leave-last-out, each
// held-out item ranked against sampled items the user never touched (implicit, as in He et al.'s
// NCF protocol), plus the global-mean and popularity baselines and catalogue coverage.
import { coverage, hitAtK, mae, mean, ndcgAtK, rmse } from './metrics';
import { seededRandom, seededShuffle, seededSplit } from './random';
import type { Interaction } from './recommender';

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

/**
 * For each held-out interaction, `negatives` items drawn uniformly from `catalogue` that the user
 * never interacted with (in training or test). Users with too few such items are skipped.
 */
export function rankingCases(
  train: readonly Interaction[],
  test: readonly Interaction[],
  catalogue: readonly string[],
  negatives: number,
  seed: number,
): RankingCase[] {
  const seen = new Map<string, Set<string>>();
  for (const r of [...train, ...test]) {
    let s = seen.get(r.user);
    if (!s) seen.set(r.user, (s = new Set()));
    s.add(r.item);
  }
  const rand = seededRandom(seed);
  const cases: RankingCase[] = [];
  test.forEach((r, k) => {
    const userItems = seen.get(r.user) as Set<string>;
    if (catalogue.length - userItems.size < negatives) return;
    const picked = new Set<string>();
    while (picked.size < negatives) {
      const item = catalogue[Math.floor(rand() * catalogue.length)] as string;
      if (!userItems.has(item)) picked.add(item);
    }
    cases.push({
      user: r.user,
      heldOut: r.item,
      candidates: seededShuffle([r.item, ...picked], seed + k + 1),
    });
  });
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
  k = 10,
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

/** Items each user interacted with in training (what a top-K list excludes). */
export function itemsByUser(train: readonly Interaction[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of train) {
    let s = out.get(r.user);
    if (!s) out.set(r.user, (s = new Set()));
    s.add(r.item);
  }
  return out;
}

/** Share of the catalogue reached by the users' top-K lists. */
export function catalogueCoverage(lists: string[][], catalogueSize: number, k: number): number {
  return coverage(lists, catalogueSize, k);
}
