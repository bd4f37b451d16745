import { describe, expect, it } from 'vitest';
import { judgeWindow } from './prediction-drift.service';

const reference = {
  classes: [0.3, 0.4, 0.3],
  confidence: [0.05, 0.1, 0.15, 0.2, 0.2, 0.3],
  count: 300,
  unknownRate: 0.02,
};
const limits = { threshold: 0.25, unknownMargin: 0.05 };
const stable = { classes: [31, 39, 30], confidence: [5, 10, 15, 20, 20, 30] };

describe('judgeWindow', () => {
  it('finds a window like the evaluation stable', () => {
    const d = judgeWindow(reference, { ...stable, units: 1000, unknownUnits: 30 }, limits);
    expect(d.drifted).toEqual([]);
    expect(d.psiPredictedClass).toBeLessThan(0.01);
    expect(d.unknownRate).toBeCloseTo(0.03);
    expect(d.live.count).toBe(100);
  });

  it('names each signal at or above the threshold', () => {
    const d = judgeWindow(
      reference,
      { classes: [90, 5, 5], confidence: [60, 20, 10, 5, 5, 0], units: 1000, unknownUnits: 20 },
      limits,
    );
    expect(d.drifted).toEqual(['psi_predicted_class', 'psi_confidence']);
    expect(d.live.classes[0]).toBeCloseTo(0.9);
  });

  it('names the unknown-unit rate when new vocabulary comes in, whatever the predictions look like', () => {
    const d = judgeWindow(reference, { ...stable, units: 1000, unknownUnits: 70 }, limits);
    expect(d.drifted).toEqual(['unknown_rate']);
    expect(d.unknownRate).toBeCloseTo(0.07);
    // A version trained before the rate was recorded is not judged on it.
    const { unknownRate: _, ...older } = reference;
    expect(judgeWindow(older, { ...stable, units: 1000, unknownUnits: 900 }, limits).drifted).toEqual([]);
    expect(judgeWindow(reference, { ...stable, units: 0, unknownUnits: 0 }, limits).unknownRate).toBe(0);
  });
});
