import { describe, expect, it } from 'vitest';
import { evaluateOnline, evaluatePromotion, parsePolicySpec, type PromotionPolicy } from './promotion-policy';

const f1: PromotionPolicy = { metric: 'macro_f1', margin: 0.005, higherIsBetter: true };
const v = (version: number, metrics: Record<string, number>) => ({ version, metrics });

describe('evaluatePromotion', () => {
  it('always promotes without a policy', () => {
    const d = evaluatePromotion(undefined, v(2, {}), v(1, { macro_f1: 0.99 }));
    expect(d).toMatchObject({ promote: true, reason: 'no promotion policy applies' });
  });

  it('promotes when nothing holds the alias yet', () => {
    const d = evaluatePromotion(f1, v(1, { macro_f1: 0.5 }), undefined, 'staging');
    expect(d).toMatchObject({ promote: true, challengerValue: 0.5, reason: 'no version holds staging yet' });
  });

  it('promotes a challenger that beats the champion by at least the margin', () => {
    const d = evaluatePromotion(f1, v(3, { macro_f1: 0.912 }), v(2, { macro_f1: 0.9 }));
    expect(d.promote).toBe(true);
    expect(d.improvement).toBeCloseTo(0.012);
    expect(d.championValue).toBe(0.9);
    expect(d.reason).toContain('beats the champion');
  });

  it('treats an improvement equal to the margin (up to float noise) as enough', () => {
    expect(evaluatePromotion(f1, v(3, { macro_f1: 0.905 }), v(2, { macro_f1: 0.9 })).promote).toBe(true);
    expect(evaluatePromotion(f1, v(3, { macro_f1: 0.9049 }), v(2, { macro_f1: 0.9 })).promote).toBe(false);
  });

  it('rejects a worse or merely equal challenger, saying why', () => {
    const worse = evaluatePromotion(f1, v(3, { macro_f1: 0.8 }), v(2, { macro_f1: 0.9 }));
    expect(worse.promote).toBe(false);
    expect(worse.reason).toMatch(/v3 macro_f1 0\.8 vs production v2 0\.9 .*does not beat the champion/);
    const zeroMargin = { ...f1, margin: 0 };
    expect(evaluatePromotion(zeroMargin, v(3, { macro_f1: 0.9 }), v(2, { macro_f1: 0.9 })).promote).toBe(
      false,
    );
    expect(evaluatePromotion(zeroMargin, v(3, { macro_f1: 0.9001 }), v(2, { macro_f1: 0.9 })).promote).toBe(
      true,
    );
  });

  it('handles lower-is-better metrics', () => {
    const rmse: PromotionPolicy = { metric: 'rmse', margin: 0.01, higherIsBetter: false };
    expect(evaluatePromotion(rmse, v(3, { rmse: 0.88 }), v(2, { rmse: 0.9 })).promote).toBe(true);
    const d = evaluatePromotion(rmse, v(3, { rmse: 0.895 }), v(2, { rmse: 0.9 }));
    expect(d.promote).toBe(false);
    expect(d.improvement).toBeCloseTo(0.005);
    expect(evaluatePromotion(rmse, v(3, { rmse: 0.95 }), v(2, { rmse: 0.9 })).improvement).toBeCloseTo(-0.05);
  });

  it('rejects a challenger without the metric, and promotes over a champion without it', () => {
    const missing = evaluatePromotion(f1, v(3, { accuracy: 0.99 }), v(2, { macro_f1: 0.5 }));
    expect(missing).toMatchObject({ promote: false });
    expect(missing.reason).toContain('v3 has no metric "macro_f1"');
    const nan = evaluatePromotion(f1, v(3, { macro_f1: Number.NaN }), v(2, { macro_f1: 0.5 }));
    expect(nan.promote).toBe(false);
    const noBaseline = evaluatePromotion(f1, v(3, { macro_f1: 0.1 }), v(2, {}));
    expect(noBaseline.promote).toBe(true);
    expect(noBaseline.reason).toContain('production v2 has no metric "macro_f1" to compare against');
  });
});

describe('evaluatePromotion: same held-out data and minimum sample', () => {
  const policy: PromotionPolicy = { ...f1, minSample: 100 };
  const challenger = (f: number, sample: number, onHoldout?: number, version = 2) => ({
    version: 3,
    metrics: { macro_f1: f },
    sample,
    ...(onHoldout === undefined ? {} : { championOnHoldout: { version, metrics: { macro_f1: onHoldout } } }),
  });

  it("judges against the champion's figures on the challenger's held-out data when the job measured them", () => {
    // Registered at 0.95 on its own (easier) data, the champion scores 0.8 on the fresh holdout.
    const d = evaluatePromotion(policy, challenger(0.85, 400, 0.8), v(2, { macro_f1: 0.95 }));
    expect(d).toMatchObject({
      promote: true,
      championValue: 0.8,
      championMeasuredOn: 'holdout',
      sample: 400,
    });
    expect(d.reason).toContain('production v2 0.8 on the same held-out data');
    expect(d.reason).toContain('400 held-out examples');
  });

  it("falls back to the champion's registration metrics when the job measured another version", () => {
    const d = evaluatePromotion(policy, challenger(0.85, 400, 0.8, 1), v(2, { macro_f1: 0.95 }));
    expect(d).toMatchObject({ promote: false, championValue: 0.95, championMeasuredOn: 'registered' });
  });

  it('rejects a challenger evaluated on too few held-out examples, whatever its figures', () => {
    const d = evaluatePromotion(policy, challenger(0.99, 40, 0.5), v(2, { macro_f1: 0.5 }));
    expect(d.promote).toBe(false);
    expect(d.reason).toBe(
      'v3 was evaluated on 40 held-out examples; the promotion policy needs at least 100',
    );
  });
});

describe('parsePolicySpec', () => {
  it('reads metric:margin with an optional direction', () => {
    expect(parsePolicySpec('macro_f1:0.005')).toEqual({
      metric: 'macro_f1',
      margin: 0.005,
      higherIsBetter: true,
    });
    expect(parsePolicySpec(' ndcg_at_10 : 0 ')).toEqual({
      metric: 'ndcg_at_10',
      margin: 0,
      higherIsBetter: true,
    });
    expect(parsePolicySpec('rmse:0.01:lower')).toEqual({
      metric: 'rmse',
      margin: 0.01,
      higherIsBetter: false,
    });
    expect(parsePolicySpec('macro_f1:0.005:higher:200')).toEqual({
      metric: 'macro_f1',
      margin: 0.005,
      higherIsBetter: true,
      minSample: 200,
    });
  });

  it('explains what is wrong', () => {
    expect(() => parsePolicySpec('macro_f1')).toThrow(/expected metric:margin/);
    expect(() => parsePolicySpec('macro_f1:abc')).toThrow(/margin "abc" is not a number/);
    expect(() => parsePolicySpec('macro_f1:-1')).toThrow(/margin "-1"/);
    expect(() => parsePolicySpec('macro_f1:')).toThrow(/margin ""/);
    expect(() => parsePolicySpec('1bad:0.1')).toThrow(/not a metric name/);
    expect(() => parsePolicySpec('f1:0.1:sideways')).toThrow(/direction "sideways"/);
    expect(() => parsePolicySpec('f1:0.1:higher:many')).toThrow(/minimum sample "many"/);
  });
});

describe('evaluateOnline', () => {
  const evidence = { metric: 'online_hit_rate', sample: 120, minSample: 100 };

  it('promotes a challenger at least as good within a negative margin (a tolerance), with its figures', () => {
    const d = evaluateOnline(
      { ...evidence, challengerValue: 0.29, championValue: 0.3, margin: -0.02 },
      4,
      3,
      'production',
    );
    expect(d).toMatchObject({
      promote: true,
      challengerValue: 0.29,
      championValue: 0.3,
      sample: 120,
      championMeasuredOn: 'online',
      policy: { metric: 'online_hit_rate', margin: -0.02, minSample: 100, higherIsBetter: true },
    });
    expect(d.improvement).toBeCloseTo(-0.01, 12);
    expect(d.reason).toMatch(/v4 online_hit_rate 0.29 vs production v3 0.3 online over 120 answers/);
  });

  it('rejects one worse than the margin allows, and any below the minimum sample', () => {
    expect(
      evaluateOnline({ ...evidence, challengerValue: 0.25, championValue: 0.3, margin: 0 }, 4, 3),
    ).toMatchObject({ promote: false, reason: expect.stringMatching(/worse than the margin allows/) });
    expect(
      evaluateOnline({ ...evidence, sample: 99, challengerValue: 0.9, championValue: 0.1, margin: 0 }, 4, 3),
    ).toMatchObject({ promote: false, reason: expect.stringMatching(/fewer than the 100 answers needed/) });
  });

  it('a positive margin (a rollback) demands that much better: exactly the margin passes', () => {
    const rollback = { ...evidence, championValue: 0.2, margin: 0.05 };
    expect(evaluateOnline({ ...rollback, challengerValue: 0.25 }, 3, 4).promote).toBe(true);
    expect(evaluateOnline({ ...rollback, challengerValue: 0.24 }, 3, 4).promote).toBe(false);
  });
});
