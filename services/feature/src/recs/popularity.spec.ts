import { describe, expect, it } from 'vitest';
import { batchPopularity, combine, decayFactor, decayedAt, HOUR_MS, type HalfLives } from './popularity';

const h: HalfLives = { popularMs: 168 * HOUR_MS, trendingMs: 6 * HOUR_MS };
const T0 = Date.parse('2026-03-01T00:00:00Z');

describe('popularity decay', () => {
  it('halves a score every half-life and never grows it', () => {
    expect(decayFactor(0, HOUR_MS)).toBe(1);
    expect(decayFactor(-5, HOUR_MS)).toBe(1);
    expect(decayFactor(HOUR_MS, HOUR_MS)).toBe(0.5);
    expect(decayFactor(3 * HOUR_MS, HOUR_MS)).toBe(0.125);
    expect(decayFactor(61 * HOUR_MS, HOUR_MS)).toBe(0);
  });

  it('decays the popular score over a week and the trending one over six hours', () => {
    const p = { popular: 8, trending: 8, referenceMs: T0 };
    expect(decayedAt(p, T0 + 168 * HOUR_MS, h)).toEqual({ popular: 4, trending: 8 * 2 ** -28 });
    expect(decayedAt(p, T0 + 6 * HOUR_MS, h).trending).toBeCloseTo(4, 12);
  });

  it('combines scores exactly in any order (late events included)', () => {
    const events = [
      { popular: 1, trending: 1, referenceMs: T0 },
      { popular: 8, trending: 8, referenceMs: T0 + 12 * HOUR_MS },
      { popular: 2, trending: 2, referenceMs: T0 + 3 * HOUR_MS },
    ];
    const forward = events.reduce<ReturnType<typeof combine> | undefined>(
      (acc, e) => combine(acc, e, h),
      undefined,
    );
    const backward = [...events]
      .reverse()
      .reduce<ReturnType<typeof combine> | undefined>((acc, e) => combine(acc, e, h), undefined);
    const at = T0 + 24 * HOUR_MS;
    const direct = events.reduce((s, e) => s + e.popular * 2 ** (-(at - e.referenceMs) / h.popularMs), 0);
    expect(forward?.referenceMs).toBe(T0 + 12 * HOUR_MS);
    expect(decayedAt(forward!, at, h).popular).toBeCloseTo(direct, 12);
    expect(decayedAt(backward!, at, h).popular).toBeCloseTo(direct, 12);
    expect(decayedAt(backward!, at, h).trending).toBeCloseTo(decayedAt(forward!, at, h).trending, 12);
  });

  it('weights a batch per item by interaction type', () => {
    const byItem = batchPopularity(
      [
        { itemId: 'a', type: 'view', occurredAt: new Date(T0) },
        { itemId: 'a', type: 'purchase', occurredAt: new Date(T0) },
        { itemId: 'b', type: 'click', occurredAt: new Date(T0 + HOUR_MS) },
      ],
      h,
    );
    expect(byItem.get('a')).toEqual({ popular: 9, trending: 9, referenceMs: T0 });
    expect(byItem.get('b')).toEqual({ popular: 2, trending: 2, referenceMs: T0 + HOUR_MS });
  });
});
