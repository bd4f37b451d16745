import { describe, expect, it } from 'vitest';
import { classificationReport, coverage, hitAtK, mae, ndcgAtK, recallAtK, rmse } from './metrics';

describe('classification metrics', () => {
  it('computes accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix', () => {
    const labels = ['negative', 'neutral', 'positive'];
    const actual = [0, 0, 1, 1, 1, 2, 2, 2];
    const predicted = [0, 1, 1, 1, 0, 2, 2, 1];
    const r = classificationReport(actual, predicted, labels);
    expect(r.accuracy).toBeCloseTo(5 / 8);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [1, 2, 0],
      [0, 1, 2],
    ]);
    expect(r.perClass[0]).toMatchObject({ precision: 0.5, recall: 0.5, support: 2 });
    expect(r.perClass[1]?.precision).toBeCloseTo(0.5);
    expect(r.perClass[1]?.recall).toBeCloseTo(2 / 3);
    expect(r.perClass[2]).toMatchObject({ precision: 1, support: 3 });
    const f1 = (p: number, q: number) => (2 * p * q) / (p + q);
    expect(r.macroF1).toBeCloseTo((0.5 + f1(0.5, 2 / 3) + f1(1, 2 / 3)) / 3);
  });

  it('gives 0 F1, not NaN, for a class never predicted', () => {
    const r = classificationReport([0, 1], [0, 0], ['a', 'b']);
    expect(r.perClass[1]).toMatchObject({ precision: 0, recall: 0, f1: 0 });
  });
});

describe('regression and ranking metrics', () => {
  it('computes RMSE and MAE', () => {
    expect(rmse([1, 2, 3], [1, 2, 5])).toBeCloseTo(Math.sqrt(4 / 3));
    expect(mae([1, 2, 3], [2, 2, 5])).toBeCloseTo(1);
  });

  it('computes HR@K, NDCG@K, recall@K and coverage', () => {
    const ranked = ['a', 'b', 'c', 'd'];
    expect(hitAtK(ranked, 'c', 3)).toBe(1);
    expect(hitAtK(ranked, 'd', 3)).toBe(0);
    expect(ndcgAtK(ranked, 'a', 10)).toBe(1);
    expect(ndcgAtK(ranked, 'c', 10)).toBeCloseTo(1 / Math.log2(4));
    expect(ndcgAtK(ranked, new Set(['b', 'd']), 4)).toBeCloseTo(
      (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)),
    );
    expect(recallAtK(ranked, new Set(['a', 'z']), 2)).toBe(0.5);
    expect(
      coverage(
        [
          ['a', 'b'],
          ['b', 'c'],
        ],
        10,
        2,
      ),
    ).toBeCloseTo(0.3);
  });
});
