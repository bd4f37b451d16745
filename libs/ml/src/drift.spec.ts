import { describe, expect, it } from 'vitest';
import {
  predictionCounts,
  profileOf,
  psi,
  referenceFromMetrics,
  referenceMetrics,
  unknownRateDrifted,
} from './drift';

const p = (label: number, top: number) => {
  const rest = (1 - top) / 2;
  const probabilities = [rest, rest, rest];
  probabilities[label] = top;
  return { label, probabilities };
};

describe('prediction drift', () => {
  it('profiles predicted classes and confidence bins', () => {
    const profile = profileOf(predictionCounts([p(0, 0.95), p(0, 0.55), p(2, 0.72), p(1, 0.4)]));
    expect(profile.count).toBe(4);
    expect(profile.classes).toEqual([0.5, 0.25, 0.25]);
    // bins: <0.5, [0.5,0.6), [0.6,0.7), [0.7,0.8), [0.8,0.9), >=0.9
    expect(profile.confidence).toEqual([0.25, 0.25, 0, 0.25, 0, 0.25]);
  });

  it('is 0 for the same distribution and grows with the shift', () => {
    const ref = [0.3, 0.4, 0.3];
    expect(psi(ref, ref)).toBeCloseTo(0, 10);
    const small = psi(ref, [0.35, 0.35, 0.3]);
    const large = psi(ref, [0.8, 0.1, 0.1]);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(0.1);
    expect(large).toBeGreaterThan(0.25);
    // An empty bin is floored, not infinite.
    expect(Number.isFinite(psi(ref, [1, 0, 0]))).toBe(true);
  });

  it('round-trips the reference through version metrics, and has none without them', () => {
    const profile = profileOf(predictionCounts([p(0, 0.95), p(2, 0.65)]));
    expect(referenceFromMetrics(referenceMetrics(profile))).toEqual(profile);
    expect(referenceFromMetrics({ accuracy: 0.9 })).toBeUndefined();
  });

  it('keeps the unknown-unit rate with the reference when training recorded one', () => {
    const profile = { ...profileOf(predictionCounts([p(1, 0.7)])), unknownRate: 0.03 };
    expect(referenceMetrics(profile).reference_unknown_rate).toBe(0.03);
    expect(referenceFromMetrics(referenceMetrics(profile))).toEqual(profile);
  });

  it('judges the unknown-unit rate by its rise over the reference, and not without a reference rate', () => {
    const reference = { ...profileOf(predictionCounts([p(1, 0.7)])), unknownRate: 0.03 };
    expect(unknownRateDrifted(reference, 0.05, 0.05)).toBe(false);
    expect(unknownRateDrifted(reference, 0.08, 0.05)).toBe(true);
    expect(unknownRateDrifted(reference, 0.01, 0.05)).toBe(false);
    const { unknownRate: _, ...without } = reference;
    expect(unknownRateDrifted(without, 0.9, 0.05)).toBe(false);
  });
});
