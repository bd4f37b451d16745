import { describe, expect, it } from 'vitest';
import { judgeWindow } from './prediction-drift.service';

const reference = { classes: [0.3, 0.4, 0.3], confidence: [0.05, 0.1, 0.15, 0.2, 0.2, 0.3], count: 300 };

describe('judgeWindow', () => {
  it('finds a window like the evaluation stable', () => {
    const d = judgeWindow(reference, { classes: [31, 39, 30], confidence: [5, 10, 15, 20, 20, 30] }, 0.25);
    expect(d.drifted).toEqual([]);
    expect(d.psiPredictedClass).toBeLessThan(0.01);
    expect(d.live.count).toBe(100);
  });

  it('names each signal at or above the threshold', () => {
    const d = judgeWindow(reference, { classes: [90, 5, 5], confidence: [60, 20, 10, 5, 5, 0] }, 0.25);
    expect(d.drifted).toEqual(['psi_predicted_class', 'psi_confidence']);
    expect(d.live.classes[0]).toBeCloseTo(0.9);
  });
});
