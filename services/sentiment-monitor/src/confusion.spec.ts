import { describe, expect, it } from 'vitest';
import { CALIBRATION_EDGES, calibrationMetricName, confusionMetricName } from '@mercato/contracts';
import {
  calibrationFromMetrics,
  confusionFromMetrics,
  DEFAULT_CONFUSION,
  modelKeyOf,
  modelLabel,
  type Calibration,
} from './confusion';
import { LABELS } from './window-aggregate';

const metricsOf = (matrix: readonly (readonly number[])[]): Record<string, number> => {
  const out: Record<string, number> = { accuracy: 0.8, macro_f1: 0.79 };
  LABELS.forEach((a, i) =>
    LABELS.forEach((p, j) => (out[confusionMetricName(a, p)] = matrix[i]?.[j] as number)),
  );
  return out;
};

/** The same calibration for every label: shares right and wrong per bin. */
const calibrationOf = (right: readonly number[], wrong: readonly number[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const label of LABELS)
    CALIBRATION_EDGES.forEach((_, bin) => {
      out[calibrationMetricName(label, 'right', bin)] = right[bin] as number;
      out[calibrationMetricName(label, 'wrong', bin)] = wrong[bin] as number;
    });
  return out;
};

describe('model confusion', () => {
  it('reads the registry’s confusion_<actual>_as_<predicted> metrics, rows renormalized', () => {
    const m = confusionFromMetrics(
      metricsOf([
        [0.9, 0.08, 0.02],
        [0.05, 0.9, 0.05],
        [0.011, 0.1, 0.89],
      ]),
    );
    expect(typeof m).not.toBe('string');
    const rows = m as number[][];
    expect(rows[0]).toEqual([0.9, 0.08, 0.02]);
    expect(rows[2]?.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(rows[2]?.[2]).toBeCloseTo(0.89 / 1.001, 12);
  });

  it('says why a version has no usable confusion', () => {
    expect(confusionFromMetrics({ accuracy: 0.9 })).toBe('no confusion_negative_as_negative metric');
    const m = metricsOf(DEFAULT_CONFUSION);
    expect(confusionFromMetrics({ ...m, confusion_neutral_as_positive: 1.4 })).toMatch(
      /confusion_neutral_as_positive is 1.4, not a probability/,
    );
    expect(confusionFromMetrics({ ...m, confusion_neutral_as_positive: 0.5 })).toMatch(
      /confusion_neutral_as_\* sums to 1.350, not 1/,
    );
    expect(
      confusionFromMetrics(
        metricsOf([
          [0.3, 0.4, 0.3],
          [0.1, 0.8, 0.1],
          [0.1, 0.1, 0.8],
        ]),
      ),
    ).toMatch(/recalls negative no better than chance/);
  });

  it('reads the calibration_<predicted>_<right|wrong>_b<bin> metrics, or says why there is none usable', () => {
    const calibration = calibrationOf([0.1, 0.1, 0.1, 0.2, 0.3], [0.1, 0.05, 0.03, 0.01, 0.01]);
    const c = calibrationFromMetrics(calibration);
    expect(typeof c).not.toBe('string');
    const read = c as Calibration;
    expect(read.right[0]?.[4]).toBeCloseTo(0.3 / 1.0, 12);
    expect(read.wrong[2]?.[0]).toBeCloseTo(0.1, 12);
    expect(calibrationFromMetrics({ accuracy: 0.9 })).toBe('no calibration_negative_right_b0 metric');
    expect(calibrationFromMetrics({ ...calibration, calibration_neutral_wrong_b3: 0 })).toMatch(
      /calibration_neutral_wrong_b3 is 0, not in \(0, 1\]/,
    );
    expect(calibrationFromMetrics({ ...calibration, calibration_neutral_wrong_b3: 0.5 })).toMatch(
      /calibration_neutral_\* sums to 1.490, not 1/,
    );
    expect(
      calibrationFromMetrics(calibrationOf([0.1, 0.1, 0.1, 0.1, 0.05], [0.2, 0.1, 0.1, 0.1, 0.05])),
    ).toMatch(/negative labels are right no more often than wrong/);
  });

  it('labels versions owner/name@version and reads them back, the record’s tenant standing in for a missing owner', () => {
    expect(modelLabel('platform', 'sentiment', '3')).toBe('platform/sentiment@3');
    expect(modelLabel('', 'sentiment', '7')).toBe('sentiment@7');
    expect(modelLabel('', '', '7')).toBe('7');
    expect(modelKeyOf('platform/sentiment@3', 'acme')).toEqual({
      owner: 'platform',
      name: 'sentiment',
      version: 3,
    });
    expect(modelKeyOf('sentiment-acme@v12', 'acme')).toEqual({
      owner: 'acme',
      name: 'sentiment-acme',
      version: 12,
    });
    expect(modelKeyOf('7', 'acme')).toBeUndefined();
    expect(modelKeyOf('sentiment@latest', 'acme')).toBeUndefined();
  });
});
