import { describe, expect, it } from 'vitest';
import {
  addObservation,
  emptyCounts,
  mergeCounts,
  mergeEvidence,
  type Evidence,
  type Observation,
} from './window-aggregate';

const obs = (
  i: number,
  label: Observation['label'],
  p: number,
  extra: Partial<Observation> = {},
): Observation => ({
  eventId: `e${i}`,
  tenantId: 'default',
  ticker: 'ACME',
  articleId: `a${i}`,
  headline: `headline ${i}`,
  source: 'wire',
  eventTime: Date.UTC(2026, 2, 2, 10, 0, i),
  label,
  probNegative: label === 'negative' ? p : (1 - p) / 2,
  probNeutral: label === 'neutral' ? p : (1 - p) / 2,
  probPositive: label === 'positive' ? p : (1 - p) / 2,
  modelVersion: 'sentiment@3',
  ...extra,
});

describe('window counts', () => {
  it('counts labels, volume, probabilities and model versions', () => {
    const c = emptyCounts();
    addObservation(c, obs(1, 'negative', 0.9));
    addObservation(c, obs(2, 'neutral', 0.6));
    addObservation(c, obs(3, 'negative', 0.7, { modelVersion: 'sentiment@4' }));
    expect(c).toMatchObject({ negative: 2, neutral: 1, positive: 0, volume: 3 });
    expect(c.sumProbNegative).toBeCloseTo(0.9 + 0.2 + 0.7, 12);
    expect(c.modelVersions).toEqual(['sentiment@3', 'sentiment@4']);
  });

  it('keeps the five most confident headlines per direction as evidence', () => {
    const c = emptyCounts();
    const probs = [0.61, 0.97, 0.72, 0.88, 0.55, 0.93, 0.8];
    probs.forEach((p, i) => addObservation(c, obs(i, 'negative', p)));
    addObservation(c, obs(99, 'positive', 0.99));
    expect(c.topNegative.map((e) => e.probability)).toEqual([0.97, 0.93, 0.88, 0.8, 0.72]);
    expect(c.topNegative[0]).toEqual({
      articleId: 'a1',
      headline: 'headline 1',
      source: 'wire',
      probability: 0.97,
      publishedAt: '2026-03-02T10:00:01.000Z',
    });
    expect(c.topPositive.map((e) => e.articleId)).toEqual(['a99']);
  });

  it('merges partial aggregates into the same result as counting at once', () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      obs(i, (['negative', 'neutral', 'positive'] as const)[i % 3], 0.5 + ((i * 37) % 50) / 100),
    );
    const whole = emptyCounts();
    for (const r of records) addObservation(whole, r);
    const a = emptyCounts();
    const b = emptyCounts();
    records.forEach((r, i) => addObservation(i % 2 ? a : b, r));
    const merged = mergeCounts(a, b);
    expect(merged.topNegative).toEqual(whole.topNegative);
    expect(merged.topPositive).toEqual(whole.topPositive);
    expect(merged.volume).toBe(40);
    expect(merged.sumProbNeutral).toBeCloseTo(whole.sumProbNeutral, 9);
  });
});

describe('evidence merge', () => {
  const e = (articleId: string, probability: number, publishedAt = '2026-03-02T10:00:00.000Z'): Evidence => ({
    articleId,
    headline: articleId,
    source: 's',
    probability,
    publishedAt,
  });

  it('keeps one entry per article, its strongest', () => {
    expect(
      mergeEvidence([e('a', 0.7)], [e('a', 0.9), e('b', 0.8)]).map((x) => [x.articleId, x.probability]),
    ).toEqual([
      ['a', 0.9],
      ['b', 0.8],
    ]);
  });

  it('breaks ties by recency, then article id', () => {
    const merged = mergeEvidence([e('b', 0.9), e('c', 0.9, '2026-03-02T10:01:00.000Z')], [e('a', 0.9)]);
    expect(merged.map((x) => x.articleId)).toEqual(['c', 'a', 'b']);
  });
});
