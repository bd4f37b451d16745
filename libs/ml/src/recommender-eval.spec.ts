import { describe, expect, it } from 'vitest';
import type { Interaction } from './recommender';
import {
  evaluateRecommender,
  evaluationPlan,
  leaveLastOut,
  popularity,
  rankingCases,
  type RecommenderScorer,
} from './recommender-eval';

/**
 * 60 users: each has one of three "hot" items and a few items of one of four tastes in training,
 * and another hot item held out (their latest), so the popularity baseline ranks well.
 */
function world(): Interaction[] {
  const rows: Interaction[] = [];
  for (let u = 0; u < 60; u++) {
    rows.push({ user: `u${u}`, item: `hot-${u % 3}`, value: 1, timestamp: 0 });
    for (let k = 1; k < 11; k++)
      rows.push({ user: `u${u}`, item: `t${u % 4}-${(u * 7 + k) % 40}`, value: 1, timestamp: k });
    rows.push({ user: `u${u}`, item: `hot-${(u + 1) % 3}`, value: 1, timestamp: 11 });
  }
  return rows;
}

/** Catalogue items nobody interacted with: enough untouched items for 99 negatives per user. */
const EXTRA = Array.from({ length: 120 }, (_, i) => ({ item: `extra-${i}`, text: '', categories: [] }));

const plan = () => {
  const { train, test } = leaveLastOut(world());
  return evaluationPlan({ train, test, items: EXTRA, seed: 7 });
};

/** Knows every held-out item (an upper bound) or prefers the least popular items (worse than popularity). */
function scorer(kind: 'oracle' | 'contrarian', train: Interaction[], test: Interaction[]): RecommenderScorer {
  const counts = popularity(train);
  const heldOut = new Set(test.map((r) => `${r.user}\u0000${r.item}`));
  const score = (user: string, item: string): number =>
    kind === 'oracle' ? (heldOut.has(`${user}\u0000${item}`) ? 1 : 0) : -(counts.get(item) ?? 0);
  return {
    scoreItems: (user, items) => items.map((it) => score(user, it)),
    topK: (user, k, exclude) =>
      [...new Set([...train, ...test].map((r) => r.item))]
        .filter((it) => !exclude.has(it))
        .sort((a, b) => score(user, b) - score(user, a) || (a < b ? -1 : 1))
        .slice(0, k),
    predict: (pairs) => pairs.map(() => 1),
  };
}

describe('recommender evaluation', () => {
  it('names the protocol in every metric key', () => {
    const p = plan();
    const evaluation = evaluateRecommender(scorer('oracle', p.train, p.test), 'implicit', p);
    expect(Object.keys(evaluation.metrics).sort()).toEqual([
      'coverage_at_10_full',
      'hr_at_10_sampled99',
      'mae',
      'ndcg_at_10_sampled99',
      'ranking_users',
      'recall_at_10_full',
      'rmse',
    ]);
    expect(Object.keys(evaluation.baselines).sort()).toEqual([
      'popularity_coverage_at_10_full',
      'popularity_hr_at_10_sampled99',
      'popularity_ndcg_at_10_sampled99',
      'popularity_recall_at_10_full',
    ]);
    expect(evaluation.metrics.hr_at_10_sampled99).toBe(1);
    expect(evaluation.notes).toEqual([]);
  });

  it('says so when a model ranks below the popularity baseline', () => {
    const p = plan();
    const explicit = evaluateRecommender(scorer('contrarian', p.train, p.test), 'explicit', p);
    expect(explicit.metrics.hr_at_10_sampled99).toBeLessThan(
      explicit.baselines.popularity_hr_at_10_sampled99 as number,
    );
    expect(explicit.notes[0]).toMatch(
      /^HR@10 \(sampled: each held-out user's latest held-out item vs 99 sampled items the user never touched\) is \d\.\d{4}, below the popularity baseline's \d\.\d{4}: an explicit \(rating\) objective fits rating values, not rankings/,
    );
    expect(explicit.baselines.global_mean_rmse).toBeDefined();
    const implicit = evaluateRecommender(scorer('contrarian', p.train, p.test), 'implicit', p);
    expect(implicit.notes).toEqual([expect.stringContaining('below the popularity baseline')]);
  });

  it('ranks each held-out user once, against 99 items the user never touched', () => {
    const { train, test } = leaveLastOut(world());
    const catalogue = [...new Set([...world().map((r) => r.item), ...EXTRA.map((it) => it.item)])];
    const cases = rankingCases(train, test, catalogue, 99, 7);
    expect(cases).toHaveLength(60);
    const touched = new Set(
      world()
        .filter((r) => r.user === 'u0')
        .map((r) => r.item),
    );
    const c = cases.find((x) => x.user === 'u0');
    expect(c?.candidates).toHaveLength(100);
    expect(c?.candidates.filter((it) => touched.has(it))).toEqual([c?.heldOut]);
  });
});
