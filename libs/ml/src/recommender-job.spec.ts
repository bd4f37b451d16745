import { generateRetail } from '@mercato/synthetic';
import { describe, expect, it } from 'vitest';
import type { JobProgress } from './jobs';
import {
  evaluateRecommenderArtifact,
  parseRecommenderHyperparameters,
  prepareRecommenderData,
  recommenderArtifactSeed,
  runRecommenderJob,
  timeSplit,
  type RecommenderJobSpec,
  type RecommenderRow,
} from './recommender-job';
import type { RecommenderItem } from './recommender';

// Generated retail data: each user favours two of eight categories, popularity is skewed within a
// category, so a model that learns tastes must beat the popularity ranking.
function retail(seed = 7): { interactions: RecommenderRow[]; items: RecommenderItem[] } {
  const { items, interactions } = generateRetail({
    seed,
    users: 300,
    items: 400,
    interactionsPerUser: 30,
    start: new Date('2026-01-01T00:00:00Z'),
    spacingMs: 60_000,
  });
  return {
    interactions: interactions.map((r) => ({
      user: r.user_id,
      item: r.item_id,
      value: r.value,
      timestamp: Date.parse(r.timestamp),
    })),
    items: items.map((it) => ({ item: it.item_id, text: it.title, categories: it.categories })),
  };
}

const HP = { objective: 'implicit' as const, epochs: 8, dim: 16, batchSize: 1024, seed: 3 };

describe('runRecommenderJob', () => {
  it('trains on generated retail data and beats the popularity baseline on HR@10', async () => {
    const progress: JobProgress[] = [];
    const result = await runRecommenderJob(
      {
        kind: 'recommender',
        inline: retail(),
        split: 'leave-last-out',
        hyperparameters: HP,
        backend: 'tensorflow',
      },
      (p) => progress.push(p),
    );
    const m = result.metrics;
    expect(m.ranking_users).toBe(300);
    expect(m.hr_at_10_sampled99).toBeGreaterThan((m.baseline_popularity_hr_at_10_sampled99 as number) + 0.05);
    expect(m.ndcg_at_10_sampled99).toBeGreaterThan(m.baseline_popularity_ndcg_at_10_sampled99 as number);
    expect(m.coverage_at_10_full).toBeGreaterThan(m.baseline_popularity_coverage_at_10_full as number);
    for (const key of ['recall_at_10_full', 'coverage_at_10_full', 'train_seconds']) {
      expect(m[key]).toBeGreaterThan(0);
    }
    // Implicit feedback has no ratings to predict: no RMSE, no global-mean baseline.
    expect(m.rmse).toBeUndefined();
    expect(m.baseline_global_mean_rmse).toBeUndefined();

    const epochs = progress.filter((p) => p.stage === 'epoch');
    expect(epochs.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.lineage.history).toHaveLength(8);
    expect(result.lineage).toMatchObject({ split: 'leave-last-out', trainExamples: 8700, testExamples: 300 });
    expect(result.lineage.datasetHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(result.artifact.files.map((f) => f.path).sort()).toEqual([
      'manifest.json',
      'model.json',
      'weights.bin',
    ]);

    // The artifact, scored on the same prepared data, reproduces the job's own evaluation.
    const data = prepareRecommenderData({ inline: retail(), split: 'leave-last-out' }, HP.seed);
    const again = await evaluateRecommenderArtifact(result.artifact, data, 'tensorflow');
    expect(again.objective).toBe('implicit');
    expect(again.metrics.hr_at_10_sampled99).toBeCloseTo(m.hr_at_10_sampled99 as number, 6);
    expect(again.baselines.popularity_hr_at_10_sampled99).toBeCloseTo(
      m.baseline_popularity_hr_at_10_sampled99 as number,
      6,
    );
    expect(recommenderArtifactSeed(result.artifact)).toBe(3);
  }, 120_000);

  it('is deterministic with a seed', async () => {
    const run = (champion?: RecommenderJobSpec['champion']) =>
      runRecommenderJob({
        kind: 'recommender',
        inline: retail(11),
        split: 'time',
        testSplit: 0.1,
        hyperparameters: { ...HP, epochs: 3 },
        backend: 'tensorflow',
        champion,
      });
    const a = await run();
    // The second run is also handed the first one's artifact as the champion: evaluated on the same
    // held-out data, it scores exactly what it scored as the challenger.
    const b = await run({ files: a.artifact.files, version: 1 });
    const championMetrics = b.champion && 'metrics' in b.champion ? b.champion.metrics : {};
    for (const key of [
      'hr_at_10_sampled99',
      'ndcg_at_10_sampled99',
      'recall_at_10_full',
      'coverage_at_10_full',
    ]) {
      expect(a.metrics[key]).toBeCloseTo(b.metrics[key] as number, 5);
      expect(championMetrics[key]).toBeCloseTo(a.metrics[key] as number, 5);
    }
    expect(a.lineage.datasetHash).toBe(b.lineage.datasetHash);
    expect(a.champion).toBeUndefined();
  }, 120_000);

  it('reports RMSE/MAE beside the global mean for explicit ratings', async () => {
    const data = retail(5);
    // Ratings that follow the user's taste: high in their favourite categories, low elsewhere.
    const favourite = new Map<string, Set<string>>();
    const category = new Map(data.items.map((it) => [it.item, it.categories[0] as string]));
    for (const r of data.interactions) {
      const s = favourite.get(r.user) ?? new Set<string>();
      if (s.size < 2) s.add(category.get(r.item) as string);
      favourite.set(r.user, s);
    }
    const rated = data.interactions.map((r) => ({
      ...r,
      value: favourite.get(r.user)?.has(category.get(r.item) as string) ? 5 : 2,
    }));
    const result = await runRecommenderJob({
      kind: 'recommender',
      inline: { interactions: rated, items: data.items },
      split: 'random',
      hyperparameters: { objective: 'explicit', epochs: 10, dim: 16, batchSize: 1024, seed: 1 },
      backend: 'tensorflow',
    });
    expect(result.lineage.split).toBe('random');
    expect(result.lineage.testExamples).toBe(1800);
    expect(result.metrics.rmse).toBeLessThan((result.metrics.baseline_global_mean_rmse as number) - 0.2);
    expect(result.metrics.mae).toBeLessThan(result.metrics.baseline_global_mean_mae as number);
  }, 120_000);
});

describe('prepareRecommenderData', () => {
  const rows: RecommenderRow[] = [
    { user: 'a', item: 'x', value: 1, timestamp: 3 },
    { user: 'a', item: 'y', value: 1, timestamp: 1 },
    { user: 'b', item: 'x', value: 1, timestamp: 2 },
    { user: 'b', item: 'z', value: 1, timestamp: 4 },
  ];

  it('splits by time: the latest part is held out', () => {
    const { train, test } = timeSplit(rows, 0.5);
    expect(test.map((r) => r.timestamp).sort()).toEqual([3, 4]);
    expect(train.map((r) => r.timestamp).sort()).toEqual([1, 2]);
  });

  it('keeps a given split column, and falls back to time when nothing is held out', () => {
    const given = prepareRecommenderData({
      inline: { interactions: rows.map((r, i) => ({ ...r, split: i === 1 ? 'test' : 'train' })) },
    });
    expect(given.split).toBe('given');
    expect(given.test).toEqual([{ user: 'a', item: 'y', value: 1, timestamp: 1 }]);
    const allTrain = prepareRecommenderData({
      inline: { interactions: rows.map((r) => ({ ...r, split: 'train' as const })) },
      testSplit: 0.25,
    });
    expect(allTrain.split).toBe('time');
    expect(allTrain.test.map((r) => r.timestamp)).toEqual([4]);
  });

  it('reads hyperparameters from strings, with short names', () => {
    expect(
      parseRecommenderHyperparameters({
        objective: 'implicit',
        dims: '8',
        lr: '0.02',
        reg: 0.1,
        epochs: '4',
      }),
    ).toEqual({ objective: 'implicit', dim: 8, learningRate: 0.02, l2: 0.1, epochs: 4 });
    expect(() => parseRecommenderHyperparameters({ objective: 'both' })).toThrow(
      /expected explicit, implicit, sequential/,
    );
    expect(() => parseRecommenderHyperparameters({ epochs: 'many' })).toThrow(/epochs: expected a number/);
    expect(() => parseRecommenderHyperparameters({ depth: '3' })).toThrow(/unknown recommender/);
  });

  it('rejects data it cannot train on', () => {
    expect(() => prepareRecommenderData({ inline: { interactions: [] } })).toThrow(/no interactions/);
    expect(() => prepareRecommenderData({ inline: { interactions: rows }, testSplit: 1.5 })).toThrow(
      /testSplit/,
    );
  });
});
