import { describe, expect, it } from 'vitest';
import { alertIdFor } from './alert-id';
import { DEFAULT_RULES, type AlertRules } from './alert-rules';
import { ewmaFromPrior, ewmaUpdate } from './ewma';
import { baselineOf, cooldownDecision, evaluateDirection, evaluateWindow, type AlertMark } from './surge';
import { emptyCounts, type WindowCounts } from './window-aggregate';

const M = 60_000;
const counts = (negative: number, neutral: number, positive: number): WindowCounts => ({
  ...emptyCounts(),
  negative,
  neutral,
  positive,
  volume: negative + neutral + positive,
});
const rules = (o: Partial<AlertRules> = {}): AlertRules => ({ ...DEFAULT_RULES, ...o });

describe('baseline', () => {
  it('is the prior until enough windows have closed, then the EWMA', () => {
    let s = ewmaFromPrior(DEFAULT_RULES.prior);
    s = ewmaUpdate(s, 0.3, 0.2);
    s = ewmaUpdate(s, 0.3, 0.2);
    expect(baselineOf(s, rules())).toEqual({ mean: 0.25, std: 0.1, source: 'prior' });
    s = ewmaUpdate(s, 0.3, 0.2);
    const b = baselineOf(s, rules());
    expect(b.source).toBe('history');
    expect(b.mean).toBeCloseTo(s.mean, 12);
    expect(b.std).toBeCloseTo(Math.sqrt(s.variance), 12);
  });
});

describe('surge evaluation', () => {
  const prior = { mean: 0.25, std: 0.1, source: 'prior' as const };

  it('computes the share and z of each direction', () => {
    const e = evaluateWindow(counts(8, 1, 1), { negative: prior, positive: prior }, rules());
    expect(e.negative.share).toBeCloseTo(0.8, 12);
    expect(e.negative.z).toBeCloseTo(5.5, 12);
    expect(e.negative.severity).toBe('high');
    expect(e.positive.share).toBeCloseTo(0.1, 12);
    expect(e.positive.z).toBeCloseTo(-1.5, 12);
    expect(e.positive.severity).toBeNull();
  });

  it('uses the deviation floor', () => {
    const steady = { mean: 0.3, std: 0.001, source: 'history' as const };
    const e = evaluateDirection(counts(5, 3, 2), 'negative', steady, rules({ stdFloor: 0.05 }));
    expect(e.z).toBeCloseTo(4, 12);
  });

  it('needs the minimum volume', () => {
    expect(evaluateDirection(counts(4, 0, 0), 'negative', prior, rules()).severity).toBeNull();
    expect(evaluateDirection(counts(5, 0, 0), 'negative', prior, rules()).severity).toBe('high');
  });

  it('needs the minimum absolute share whatever the z', () => {
    const quiet = { mean: 0.02, std: 0.01, source: 'history' as const };
    const e = evaluateDirection(counts(2, 8, 0), 'negative', quiet, rules({ stdFloor: 0.01 }));
    expect(e.z).toBeGreaterThan(10);
    expect(e.severity).toBeNull();
  });

  it('grades by the z thresholds', () => {
    // Binary-exact numbers, so the z of each case is exactly its threshold.
    const b = { mean: 0.25, std: 0.125, source: 'history' as const };
    expect(evaluateDirection(counts(4, 4, 0), 'negative', b, rules()).severity).toBe('low');
    expect(evaluateDirection(counts(5, 3, 0), 'negative', b, rules()).severity).toBe('medium');
    expect(evaluateDirection(counts(6, 2, 0), 'negative', b, rules()).severity).toBe('high');
  });

  it('ignores disabled directions', () => {
    const e = evaluateDirection(counts(0, 1, 9), 'positive', prior, rules({ directions: ['negative'] }));
    expect(e.z).toBeGreaterThan(4);
    expect(e.severity).toBeNull();
  });
});

describe('cooldown', () => {
  const t0 = Date.UTC(2026, 2, 2, 10, 0);
  const mark = (o: Partial<AlertMark>): AlertMark => ({
    alertId: 'a1',
    direction: 'negative',
    severity: 'medium',
    windowStart: t0,
    windowEnd: t0 + 5 * M,
    ...o,
  });
  const candidate = (
    startMin: number,
    severity: 'low' | 'medium' | 'high',
    direction = 'negative' as const,
  ) => ({
    direction,
    severity,
    windowStart: t0 + startMin * M,
    windowEnd: t0 + (startMin + 5) * M,
  });

  it('raises the first alert of a ticker and direction', () => {
    expect(cooldownDecision(candidate(0, 'low'), [], 30 * M)).toEqual({ action: 'raise' });
  });

  it('suppresses the same or a lower severity within the cooldown (one surge, one alert)', () => {
    expect(cooldownDecision(candidate(0, 'medium'), [mark({})], 30 * M)).toEqual({
      action: 'suppress',
      by: 'a1',
    });
    expect(cooldownDecision(candidate(5, 'low'), [mark({})], 30 * M)).toEqual({
      action: 'suppress',
      by: 'a1',
    });
    // 25 minutes between the windows: still the same surge.
    expect(cooldownDecision(candidate(30, 'medium'), [mark({})], 30 * M).action).toBe('suppress');
  });

  it('upgrades when the surge gets more severe within the cooldown', () => {
    expect(cooldownDecision(candidate(5, 'high'), [mark({})], 30 * M)).toEqual({
      action: 'upgrade',
      of: 'a1',
    });
    const marks = [
      mark({}),
      mark({ alertId: 'a2', severity: 'high', windowStart: t0 + 5 * M, windowEnd: t0 + 10 * M }),
    ];
    expect(cooldownDecision(candidate(10, 'high'), marks, 30 * M)).toEqual({ action: 'suppress', by: 'a2' });
  });

  it('raises again once the windows are a cooldown apart', () => {
    expect(cooldownDecision(candidate(35, 'low'), [mark({})], 30 * M)).toEqual({ action: 'raise' });
  });

  it('keeps directions apart', () => {
    expect(cooldownDecision(candidate(0, 'low', 'positive' as never), [mark({})], 30 * M)).toEqual({
      action: 'raise',
    });
  });

  it('treats an overlapping window of another size as the same surge', () => {
    const hour = {
      direction: 'negative' as const,
      severity: 'medium' as const,
      windowStart: t0,
      windowEnd: t0 + 60 * M,
    };
    expect(
      cooldownDecision(hour, [mark({ windowStart: t0 + 40 * M, windowEnd: t0 + 45 * M })], 30 * M).action,
    ).toBe('suppress');
  });
});

describe('alert ids', () => {
  it('are the same for the same decision and differ otherwise', () => {
    const a = {
      tenantId: 'default',
      ticker: 'ACME',
      windowSize: '5m',
      windowStart: Date.UTC(2026, 2, 2, 10, 0),
      direction: 'negative' as const,
      severity: 'high' as const,
    };
    expect(alertIdFor(a)).toBe(alertIdFor({ ...a }));
    expect(alertIdFor(a)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const others = [
      { ...a, tenantId: 'other' },
      { ...a, ticker: 'ACMF' },
      { ...a, windowSize: '1h' },
      { ...a, windowStart: a.windowStart + 5 * M },
      { ...a, direction: 'positive' as const },
      { ...a, severity: 'medium' as const },
    ].map(alertIdFor);
    expect(new Set([alertIdFor(a), ...others]).size).toBe(7);
    // The id this decision got before the derivation moved to @mercato/kafka.
    expect(alertIdFor({ ...a, ticker: 'TSLA' })).toBe('1db4e308-d9d6-5474-8b59-7523c6053816');
  });
});
