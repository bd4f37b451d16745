import { describe, expect, it } from 'vitest';
import { TICKER_RULE } from '@mercato/contracts';
import {
  defaultRules,
  parseAlertRules,
  ruleBook,
  rulesView,
  severityFor,
  validateRules,
} from './alert-rules';

const SIZES = ['5m', '1h'];

describe('alert rules', () => {
  it('uses the defaults when nothing is configured', () => {
    expect(parseAlertRules(undefined, SIZES).for('ACME')).toEqual(defaultRules(SIZES));
    expect(parseAlertRules('  ', SIZES).version).toBe(0);
    expect(rulesView(defaultRules(SIZES))).toEqual({
      directions: ['negative', 'positive'],
      minVolume: 4,
      minShare: 0.6,
      evidence: { low: 2.5, medium: 5, high: 8 },
      surgeShare: 1,
      partialShare: 0.6,
      horizon: '1h',
      cooldown: '30m',
      window: '5m',
    });
  });

  it('merges global defaults and per-ticker overrides field by field', () => {
    const book = parseAlertRules(
      JSON.stringify({
        defaults: { minVolume: 8, evidence: { high: 9 }, cooldown: '1h', window: '60m' },
        tickers: {
          TSLA: { evidence: { low: 5 }, directions: ['negative'], horizon: '30m' },
          KO: { minShare: 0.3 },
        },
      }),
      SIZES,
    );
    expect(book.for('ACME')).toMatchObject({
      minVolume: 8,
      evidence: { low: 2.5, medium: 5, high: 9 },
      cooldownMs: 3_600_000,
      window: '1h',
      directions: ['negative', 'positive'],
    });
    expect(book.for('TSLA')).toMatchObject({
      minVolume: 8,
      evidence: { low: 5, medium: 5, high: 9 },
      directions: ['negative'],
      horizonMs: 1_800_000,
    });
    expect(book.for('KO').minShare).toBe(0.3);
    expect(book.tickers.sort()).toEqual(['KO', 'TSLA']);
  });

  it('names every bad field and why: a negative volume, an unknown field, a window not configured', () => {
    const result = validateRules(
      {
        defaults: { minVolume: -2, colour: 'red', window: '15m', cooldown: '30 minutes' },
        tickers: { TSLA: { directions: ['sideways'], thresholds: { high: 5 } }, 'has space': {} },
        extra: 1,
      },
      SIZES,
    );
    expect(result.ok).toBe(false);
    const issues = result.ok ? [] : result.issues;
    const reason = (field: string) => issues.find((i) => i.field === field)?.reason;
    expect(reason('defaults.minVolume')).toBe('must be at least 1');
    expect(reason('defaults.colour')).toBe('unknown field');
    expect(reason('defaults.window')).toBe('must be one of the configured windows: 5m, 1h');
    expect(reason('defaults.cooldown')).toMatch(/is not a duration/);
    expect(reason('tickers.TSLA.directions.0')).toBeDefined();
    expect(reason('tickers.TSLA.thresholds')).toMatch(
      /unknown field: z-score thresholds were replaced by "evidence"/,
    );
    expect(reason('tickers.has space')).toBe(TICKER_RULE);
    expect(reason('extra')).toBe('unknown field');
  });

  it('refuses evidence thresholds that decrease with severity, also after merging', () => {
    const base = defaultRules(SIZES);
    const bad = ruleBook({ defaults: { evidence: { medium: 1 } }, tickers: {} }, base);
    expect(bad.ok ? [] : bad.issues).toEqual([
      { field: 'defaults.evidence', reason: 'expected low ≤ medium ≤ high, got 2.5, 1, 8' },
    ]);
    expect(() =>
      parseAlertRules(JSON.stringify({ tickers: { ACME: { evidence: { high: 2.5 } } } }), SIZES),
    ).toThrow(/tickers\.ACME\.evidence: expected low ≤ medium ≤ high/);
    expect(() => parseAlertRules('{', SIZES)).toThrow(/not valid JSON/);
  });

  it('refuses a partial share above the surge share, also after merging', () => {
    const base = defaultRules(SIZES);
    const bad = ruleBook({ defaults: { surgeShare: 0.8 }, tickers: { ACME: { partialShare: 0.9 } } }, base);
    expect(bad.ok ? [] : bad.issues).toEqual([
      { field: 'tickers.ACME.partialShare', reason: 'must not exceed surgeShare (0.8), got 0.9' },
    ]);
    const off = ruleBook({ defaults: { partialShare: 1 }, tickers: {} }, base);
    expect(off.ok && off.book.defaults.partialShare).toBe(1);
    expect(validateRules({ defaults: { partialShare: 0 } }, SIZES)).toMatchObject({
      ok: false,
      issues: [{ field: 'defaults.partialShare', reason: 'must be between 0 and 1' }],
    });
  });

  it('lays a tenant’s document over the deployment’s defaults and carries its version', () => {
    const deployment = parseAlertRules(
      JSON.stringify({ defaults: { minVolume: 20 }, tickers: { TSLA: { minVolume: 50 } } }),
      SIZES,
    );
    const doc = validateRules({ defaults: { minShare: 0.7 } }, SIZES);
    if (!doc.ok) throw new Error('valid');
    const built = ruleBook(doc.document, deployment.defaults, 3);
    if (!built.ok) throw new Error('valid');
    expect(built.book.version).toBe(3);
    expect(built.book.for('TSLA')).toMatchObject({ minVolume: 20, minShare: 0.7 });
  });
});

describe('severity', () => {
  const thresholds = { low: 2, medium: 3, high: 4 };

  it('is the most severe level whose threshold the evidence reaches', () => {
    expect(severityFor(1.99, thresholds)).toBeNull();
    expect(severityFor(2, thresholds)).toBe('low');
    expect(severityFor(3.5, thresholds)).toBe('medium');
    expect(severityFor(4, thresholds)).toBe('high');
    expect(severityFor(40, thresholds)).toBe('high');
  });
});
