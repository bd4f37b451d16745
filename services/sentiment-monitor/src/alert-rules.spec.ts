import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, parseAlertRules, severityFor } from './alert-rules';

describe('alert rules', () => {
  it('uses the defaults when nothing is configured', () => {
    expect(parseAlertRules(undefined).for('ACME')).toEqual(DEFAULT_RULES);
    expect(parseAlertRules('  ').defaults).toEqual(DEFAULT_RULES);
    expect(DEFAULT_RULES).toMatchObject({
      minVolume: 5,
      thresholds: { low: 2, medium: 3, high: 4 },
      minShare: 0.5,
      cooldownMs: 30 * 60_000,
      baselineMinWindows: 3,
      prior: { mean: 0.25, std: 0.1 },
    });
  });

  it('merges global defaults and per-ticker overrides field by field', () => {
    const book = parseAlertRules(
      JSON.stringify({
        defaults: { minVolume: 8, thresholds: { high: 5 }, cooldown: '1h' },
        tickers: {
          TSLA: { thresholds: { low: 3 }, directions: ['negative'], prior: { std: 0.2 } },
          KO: { minShare: 0.3 },
        },
      }),
    );
    expect(book.for('ACME')).toMatchObject({
      minVolume: 8,
      thresholds: { low: 2, medium: 3, high: 5 },
      cooldownMs: 3_600_000,
      directions: ['negative', 'positive'],
    });
    expect(book.for('TSLA')).toMatchObject({
      minVolume: 8,
      thresholds: { low: 3, medium: 3, high: 5 },
      directions: ['negative'],
      prior: { mean: 0.25, std: 0.2 },
    });
    expect(book.for('KO').minShare).toBe(0.3);
    expect(book.tickers.sort()).toEqual(['KO', 'TSLA']);
  });

  it('reports every problem with where it is', () => {
    expect(() => parseAlertRules('{')).toThrow(/not valid JSON/);
    expect(() =>
      parseAlertRules(JSON.stringify({ defaults: { minVolume: 0, cooldown: '30 minutes' }, extra: 1 })),
    ).toThrow(
      /defaults\.minVolume.*defaults\.cooldown.*is not a duration|defaults\.cooldown.*defaults\.minVolume/,
    );
    expect(() => parseAlertRules(JSON.stringify({ tickers: { X: { directions: ['sideways'] } } }))).toThrow(
      /tickers\.X\.directions\.0/,
    );
    expect(() => parseAlertRules(JSON.stringify({ defaults: { minShare: 1.5 } }))).toThrow(
      /defaults\.minShare/,
    );
    expect(() => parseAlertRules(JSON.stringify({ unknown: {} }))).toThrow(/unknown|Unrecognized/);
  });

  it('refuses thresholds that decrease with severity, also after merging', () => {
    expect(() => parseAlertRules(JSON.stringify({ defaults: { thresholds: { medium: 1 } } }))).toThrow(
      /defaults\.thresholds: expected low ≤ medium ≤ high/,
    );
    expect(() =>
      parseAlertRules(JSON.stringify({ tickers: { ACME: { thresholds: { high: 2.5 } } } })),
    ).toThrow(/tickers\.ACME\.thresholds/);
  });
});

describe('severity', () => {
  const thresholds = { low: 2, medium: 3, high: 4 };

  it('is the most severe level whose threshold z reaches', () => {
    expect(severityFor(1.99, thresholds)).toBeNull();
    expect(severityFor(2, thresholds)).toBe('low');
    expect(severityFor(3.5, thresholds)).toBe('medium');
    expect(severityFor(4, thresholds)).toBe('high');
    expect(severityFor(40, thresholds)).toBe('high');
    expect(severityFor(-5, thresholds)).toBeNull();
  });
});
