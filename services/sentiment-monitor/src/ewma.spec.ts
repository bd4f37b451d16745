import { describe, expect, it } from 'vitest';
import { ewmaFromPrior, ewmaUpdate, zScore } from './ewma';

describe('EWMA baseline', () => {
  it('starts at the prior', () => {
    expect(ewmaFromPrior({ mean: 0.25, std: 0.1 })).toEqual({ mean: 0.25, variance: 0.1 * 0.1, count: 0 });
  });

  it('moves the mean by alpha of the difference and updates the variance', () => {
    const s = ewmaUpdate({ mean: 0.25, variance: 0.01, count: 0 }, 0.75, 0.2);
    expect(s.mean).toBeCloseTo(0.35, 12);
    // (1 − α)(var + diff · α · diff) = 0.8 · (0.01 + 0.5 · 0.1)
    expect(s.variance).toBeCloseTo(0.048, 12);
    expect(s.count).toBe(1);
  });

  it('converges to a constant series with a vanishing deviation', () => {
    let s = ewmaFromPrior({ mean: 0.25, std: 0.1 });
    for (let i = 0; i < 200; i++) s = ewmaUpdate(s, 0.4, 0.2);
    expect(s.mean).toBeCloseTo(0.4, 9);
    expect(Math.sqrt(s.variance)).toBeLessThan(1e-6);
  });

  it('tracks the spread of a noisy series', () => {
    let s = ewmaFromPrior({ mean: 0.3, std: 0.1 });
    for (let i = 0; i < 500; i++) s = ewmaUpdate(s, i % 2 === 0 ? 0.2 : 0.4, 0.2);
    expect(s.mean).toBeGreaterThan(0.28);
    expect(s.mean).toBeLessThan(0.32);
    expect(Math.sqrt(s.variance)).toBeGreaterThan(0.08);
    expect(Math.sqrt(s.variance)).toBeLessThan(0.12);
  });

  it('weights recent windows more with a larger alpha', () => {
    const base = ewmaFromPrior({ mean: 0.2, std: 0.05 });
    expect(ewmaUpdate(base, 1, 0.5).mean).toBeGreaterThan(ewmaUpdate(base, 1, 0.1).mean);
  });
});

describe('z-score', () => {
  it('divides by the deviation', () => {
    expect(zScore(0.7, 0.3, 0.1, 0.05)).toBeCloseTo(4, 12);
    expect(zScore(0.1, 0.3, 0.1, 0.05)).toBeCloseTo(-2, 12);
  });

  it('uses the floor when the deviation is smaller', () => {
    expect(zScore(0.4, 0.3, 0, 0.05)).toBeCloseTo(2, 12);
    expect(zScore(0.4, 0.3, 0.01, 0.05)).toBeCloseTo(2, 12);
  });
});
