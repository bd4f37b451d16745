import { describe, expect, it } from 'vitest';
import { seededSplit, stratifiedSplit } from './random';

/** 70 negative, 20 neutral, 10 positive, in that order (as a sorted file would list them). */
const items = [
  ...Array.from({ length: 70 }, (_, i) => ({ id: i, label: 0 })),
  ...Array.from({ length: 20 }, (_, i) => ({ id: 70 + i, label: 1 })),
  ...Array.from({ length: 10 }, (_, i) => ({ id: 90 + i, label: 2 })),
];
const counts = (xs: { label: number }[]): number[] =>
  [0, 1, 2].map((l) => xs.filter((x) => x.label === l).length);

describe('stratifiedSplit', () => {
  it('keeps every label at its share in the held-out part', () => {
    const { train, test } = stratifiedSplit(items, 0.2, 42, (x) => x.label);
    expect(counts(test)).toEqual([14, 4, 2]);
    expect(counts(train)).toEqual([56, 16, 8]);
    expect(new Set([...train, ...test].map((x) => x.id)).size).toBe(100);
  });

  it('holds out exactly round(n · fraction), rounding the shares by largest remainder', () => {
    const { test } = stratifiedSplit(items, 0.15, 1, (x) => x.label);
    expect(test).toHaveLength(15);
    expect(counts(test)).toEqual([11, 3, 1]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const a = stratifiedSplit(items, 0.2, 7, (x) => x.label);
    expect(stratifiedSplit(items, 0.2, 7, (x) => x.label)).toEqual(a);
    expect(stratifiedSplit(items, 0.2, 8, (x) => x.label).test.map((x) => x.id)).not.toEqual(
      a.test.map((x) => x.id),
    );
  });

  it('does what a plain seeded split cannot promise on a small skewed set', () => {
    // A plain shuffle can leave a rare label out of the held-out part altogether.
    const rare = [
      ...Array.from({ length: 47 }, () => ({ label: 0 })),
      ...Array.from({ length: 3 }, () => ({ label: 1 })),
    ];
    const plainMisses = Array.from({ length: 50 }, (_, seed) => seededSplit(rare, 0.2, seed).test).filter(
      (t) => !t.some((x) => x.label === 1),
    ).length;
    expect(plainMisses).toBeGreaterThan(0);
    for (let seed = 0; seed < 50; seed++)
      expect(counts(stratifiedSplit(rare, 0.2, seed, (x) => x.label).test)).toEqual([9, 1, 0]);
  });
});
