import { describe, expect, it } from 'vitest';
import { CALIBRATION_EDGES, calibrationMetricName } from '@mercato/contracts';
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

  it('measures calibration: per predicted label and confidence bin, the share right and wrong, smoothed', () => {
    const labels = ['negative', 'neutral', 'positive'];
    // Four "negative" labels: right at 0.95 and 0.85, wrong at 0.55 and 0.65; no "positive" label.
    const r = classificationReport([0, 0, 1, 2, 1], [0, 0, 0, 0, 1], labels, [0.95, 0.85, 0.55, 0.65, 0.9]);
    const c = r.calibration as Record<string, number>;
    // Each label: 4 observed at most plus 0.5 pseudo-examples in each of 2 × 5 cells.
    expect(c[calibrationMetricName('negative', 'right', 4)]).toBeCloseTo(1.5 / 9);
    expect(c[calibrationMetricName('negative', 'right', 3)]).toBeCloseTo(1.5 / 9);
    expect(c[calibrationMetricName('negative', 'wrong', 0)]).toBeCloseTo(1.5 / 9);
    expect(c[calibrationMetricName('negative', 'wrong', 1)]).toBeCloseTo(1.5 / 9);
    expect(c[calibrationMetricName('negative', 'wrong', 4)]).toBeCloseTo(0.5 / 9);
    expect(c[calibrationMetricName('neutral', 'right', 4)]).toBeCloseTo(1.5 / 6);
    for (const label of labels) {
      const shares = CALIBRATION_EDGES.flatMap((_, bin) => [
        c[calibrationMetricName(label, 'right', bin)] as number,
        c[calibrationMetricName(label, 'wrong', bin)] as number,
      ]);
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(Math.min(...shares)).toBeGreaterThan(0);
    }
    // A label never given is uninformative: right as often as wrong in every bin.
    expect(c[calibrationMetricName('positive', 'right', 2)]).toBeCloseTo(0.1);
    expect(classificationReport([0], [0], labels).calibration).toBeUndefined();
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
