import { describe, expect, it } from 'vitest';
import { alertIdFor } from './alert-id';
import { defaultRules, type AlertRules } from './alert-rules';
import { DEFAULT_MARKET_PRIOR, emptyBaseline, type TickerBaseline } from './baseline';
import { DEFAULT_CONFUSION, type ModelConfusion } from './confusion';
import {
  articleEvidence,
  cooldownDecision,
  emptyDetector,
  observeArticle,
  thresholdsFor,
  type AlertMark,
  type ArticleOutcome,
  type DetectorState,
  type DirectionReading,
  type SurgeProposal,
} from './surge';
import type { Label, Observation } from './window-aggregate';
import { MEASURED, observation } from '../test/observations';

const M = 60_000;
const T0 = Date.UTC(2026, 2, 2, 15, 0);
const rules = (o: Partial<AlertRules> = {}): AlertRules => ({ ...defaultRules(['5m', '1h']), ...o });
const measured = MEASURED;
const unmeasured: ModelConfusion = { matrix: DEFAULT_CONFUSION, source: 'default', reason: 'no metrics' };

const obs = (minute: number, label: Label, p = 0.9): Observation =>
  observation(T0 + minute * M, label, { p });

/** Walks the articles through one detector; returns the final state and every proposal. */
function walk(
  articles: readonly Observation[],
  o: { rules?: AlertRules; confusion?: ModelConfusion; state?: DetectorState } = {},
): { state: DetectorState; proposals: SurgeProposal[]; evidence: number[] } {
  let state = o.state ?? emptyDetector();
  const proposals: SurgeProposal[] = [];
  const evidence: number[] = [];
  for (const a of articles) {
    const out = observeArticle(state, a, {
      rules: o.rules ?? rules(),
      prior: DEFAULT_MARKET_PRIOR,
      confusion: () => o.confusion ?? measured,
    });
    state = out.state;
    proposals.push(...out.proposals);
    evidence.push(out.readings.find((r) => r.direction === 'negative')?.evidence ?? 0);
  }
  return { state, proposals, evidence };
}

/** A ticker with a long, ordinary history: 15 % negative, 55 % neutral, 30 % positive labels. */
const seasoned: TickerBaseline = {
  version: 'platform/sentiment@3',
  counts: [45, 165, 90],
  articles: 300,
  versions: ['platform/sentiment@3'],
};
const seasonedDetector = (): DetectorState => ({ ...emptyDetector(), baseline: seasoned });
const negatives = (count: number, from = 0, every = 0.5): Observation[] =>
  Array.from({ length: count }, (_, i) => obs(from + i * every, 'negative'));

describe('surge test', () => {
  it('does not alert on a handful of articles of a fresh ticker (4 positive of 5, the case the old test flagged high)', () => {
    const five = [
      obs(0, 'positive'),
      obs(10, 'positive'),
      obs(20, 'neutral'),
      obs(30, 'positive'),
      obs(40, 'positive'),
    ];
    expect(walk(five).proposals).toEqual([]);
    // Eleven ordinary headlines a weak model labelled partly negative: no alert either.
    const eleven = (
      [
        'negative',
        'neutral',
        'negative',
        'neutral',
        'neutral',
        'negative',
        'positive',
        'neutral',
        'negative',
        'neutral',
        'neutral',
      ] as Label[]
    ).map((l, i) => obs(i * 5, l, 0.6));
    expect(walk(eleven, { confusion: unmeasured }).proposals).toEqual([]);
  });

  it('alerts on a burst of negative news, with the figures that explain it', () => {
    const { proposals } = walk(negatives(10), { state: seasonedDetector() });
    expect(proposals.length).toBeGreaterThan(0);
    const [first] = proposals;
    expect(first).toMatchObject({ direction: 'negative', since: T0, share: 1 });
    // Not before minVolume articles, whatever the evidence of the first ones.
    expect(first?.articles).toBe(rules().minVolume);
    expect(first?.evidence).toBeGreaterThanOrEqual(first?.threshold as number);
    expect(first?.band).toMatchObject({ source: 'history' });
    expect(first?.band.expected).toBeGreaterThan(first?.band.low as number);
    expect(first?.band.high).toBeGreaterThan(first?.band.expected as number);
    expect(first?.z).toBeGreaterThan(3);
    expect(first?.models).toEqual([{ version: 'platform/sentiment@3', confusion: 'measured' }]);
    expect(first?.acrossVersions).toBe(false);
    expect(first?.top).toHaveLength(4);
    // Each severity at most once, more severe each time, as the evidence grows.
    const ranks = proposals.map((p) => ['low', 'medium', 'high'].indexOf(p.severity));
    expect(ranks).toEqual([...new Set(ranks)].sort());
    expect(proposals.at(-1)?.severity).toBe('high');
  });

  it('needs more evidence from a weaker model: each article says less, and the alert comes later', () => {
    const burst = negatives(12);
    const strong = walk(burst, { state: seasonedDetector(), confusion: measured });
    const weak = walk(burst, { state: seasonedDetector(), confusion: unmeasured });
    expect(strong.evidence[0]).toBeGreaterThan(weak.evidence[0] as number);
    const high = (r: { proposals: SurgeProposal[] }) =>
      r.proposals.find((p) => p.severity === 'high')?.articles;
    expect(high(strong)).toBeLessThan(high(weak) as number);
  });

  it('needs more evidence from a ticker with no history than from one it knows well', () => {
    const article = obs(0, 'negative');
    const fresh = articleEvidence(
      article,
      'negative',
      emptyBaseline(),
      DEFAULT_MARKET_PRIOR,
      () => measured,
      0.9,
    );
    const known = articleEvidence(article, 'negative', seasoned, DEFAULT_MARKET_PRIOR, () => measured, 0.9);
    expect(known).toBeGreaterThan(fresh);
    expect(fresh).toBeGreaterThan(0);
  });

  it('weighs an article by the model’s probabilities, never above what its confusion allows', () => {
    const sure = articleEvidence(
      obs(0, 'negative', 0.99),
      'negative',
      seasoned,
      DEFAULT_MARKET_PRIOR,
      () => measured,
      0.9,
    );
    const unsure = articleEvidence(
      obs(0, 'negative', 0.45),
      'negative',
      seasoned,
      DEFAULT_MARKET_PRIOR,
      () => measured,
      0.9,
    );
    const labelOnly = articleEvidence(
      { ...obs(0, 'negative'), probNegative: 0, probNeutral: 0, probPositive: 0 },
      'negative',
      seasoned,
      DEFAULT_MARKET_PRIOR,
      () => measured,
      0.9,
    );
    expect(unsure).toBeLessThan(sure);
    expect(sure).toBeLessThanOrEqual(labelOnly);
    expect(
      articleEvidence(obs(0, 'neutral'), 'negative', seasoned, DEFAULT_MARKET_PRIOR, () => measured, 0.9),
    ).toBeLessThan(0);
  });

  it('reads confidence through the version’s measured calibration: a sure label says more than a hesitant one', () => {
    // The shipped default model's calibration on TFNS (rounded): negative labels at ≥ 0.9 are
    // right 20 times as often as wrong, below 0.6 wrong more often than right.
    const row = { right: [0.05, 0.07, 0.09, 0.22, 0.33], wrong: [0.09, 0.03, 0.04, 0.06, 0.02] };
    const calibrated: ModelConfusion = {
      ...measured,
      calibration: { right: [row.right, row.right, row.right], wrong: [row.wrong, row.wrong, row.wrong] },
    };
    const evidence = (o: Observation, confusion: ModelConfusion): number =>
      articleEvidence(o, 'negative', seasoned, DEFAULT_MARKET_PRIOR, () => confusion, 1);
    const sure = obs(0, 'negative', 0.95);
    const hesitant = obs(0, 'negative', 0.5);
    expect(evidence(sure, calibrated)).toBeGreaterThan(evidence(sure, measured));
    expect(evidence(hesitant, calibrated)).toBeLessThan(evidence(sure, calibrated));
    // A sure neutral label is sure evidence against a negative surge.
    expect(evidence(obs(0, 'neutral', 0.95), calibrated)).toBeLessThan(
      evidence(obs(0, 'neutral', 0.95), measured),
    );
    // Exactly the label's evidence times P(bin | right) / P(bin | label): no more than the
    // calibration says (under a surge of share 1 every negative label is right).
    const precision = row.right.reduce((a, b) => a + b, 0);
    const labelOnly = { ...sure, probNegative: 0, probNeutral: 0, probPositive: 0 };
    expect(evidence(sure, calibrated)).toBeCloseTo(
      evidence(labelOnly, measured) + Math.log(0.33 / precision / (0.33 + 0.02)),
      9,
    );
    // With sure labels the surge is found in fewer articles.
    const first = (confusion: ModelConfusion): number =>
      walk(
        negatives(10).map((o) => ({ ...o, probNegative: 0.95, probNeutral: 0.03, probPositive: 0.02 })),
        {
          confusion,
          state: seasonedDetector(),
        },
      ).proposals[0]?.articles ?? Infinity;
    expect(first(calibrated)).toBeLessThanOrEqual(first(measured));
    expect(first(calibrated)).toBeLessThan(Infinity);
  });

  it('lets evidence fade with event time: news a night apart does not add up', () => {
    const spread = negatives(8, 0, 120);
    expect(walk(spread, { state: seasonedDetector() }).proposals).toEqual([]);
    const { state } = walk([obs(0, 'negative'), obs(1, 'negative')], { state: seasonedDetector() });
    const later = observeArticle(state, obs(16 * 60, 'negative'), {
      rules: rules(),
      prior: DEFAULT_MARKET_PRIOR,
      confusion: () => measured,
    });
    expect(later.state.runs.negative.since).toBe(T0 + 16 * 60 * M);
    expect(later.state.runs.negative.articles).toBe(1);
  });

  it('asks a busy ticker for more evidence than a quiet one', () => {
    const quiet = seasonedDetector();
    const busy: DetectorState = { ...quiet, activity: { minutes: 600, gaps: 1200 } };
    const q = thresholdsFor(quiet, rules());
    const b = thresholdsFor(busy, rules());
    expect(q).toEqual(rules().evidence);
    expect(b.low).toBeCloseTo(rules().evidence.low + 2 * Math.log((1201 / 660) * 60), 9);
    // Overnight and weekend gaps count for at most one horizon of activity.
    const { state } = walk([obs(0, 'neutral'), obs(3 * 24 * 60, 'neutral')], { state: quiet });
    expect(state.activity).toEqual({ minutes: 60, gaps: 1 });
  });

  it('asks for more evidence during a burst of mixed news, never more because of a surge’s own articles', () => {
    const reading = (articles: readonly Observation[]) => {
      let state = seasonedDetector();
      let last: ArticleOutcome | undefined;
      for (const a of articles) {
        last = observeArticle(state, a, {
          rules: rules(),
          prior: DEFAULT_MARKET_PRIOR,
          confusion: () => measured,
        });
        state = last.state;
      }
      return (last as ArticleOutcome).readings.find((r) => r.direction === 'negative') as DirectionReading;
    };
    // 40 articles of the usual mix in 20 minutes, then a negative one.
    const mix: Label[] = ['neutral', 'neutral', 'positive', 'neutral', 'negative'];
    const burst = Array.from({ length: 40 }, (_, i) => obs(i * 0.5, mix[i % mix.length] as Label));
    const inBurst = reading([...burst, obs(20.5, 'negative')]);
    const others = inBurst.thresholds.low - rules().evidence.low;
    expect(others).toBeGreaterThan(2 * Math.log(1.5 * 25));
    expect(others).toBeLessThan(2 * Math.log(1.5 * 32));
    // 40 negatives in 20 minutes: the threshold stays the quiet ticker's.
    expect(reading(negatives(41, 0, 0.5)).thresholds).toEqual(thresholdsFor(seasonedDetector(), rules()));
  });

  it('finds a partial surge (a share of neutral reports in it) through the test tuned to partialShare', () => {
    // 30 articles in 45 minutes, three in five negative, the rest neutral: the pure test's runs
    // break on the neutral reports and its threshold rises with them; the partial test's do not,
    // so it reaches each severity sooner and goes further.
    const partial = Array.from({ length: 30 }, (_, i) =>
      obs(i * 1.5, i % 5 < 3 ? 'negative' : 'neutral', i % 5 < 3 ? 0.9 : 0.7),
    );
    const pureOnly = walk(partial, { state: seasonedDetector(), rules: rules({ partialShare: 1 }) });
    const both = walk(partial, { state: seasonedDetector() });
    expect(pureOnly.proposals.map((p) => p.severity)).toEqual(['low', 'medium']);
    expect(both.proposals.map((p) => [p.severity, p.surgeShare])).toEqual([
      ['low', 1],
      ['medium', 0.6],
      ['high', 0.6],
    ]);
    expect(both.proposals[1]?.at).toBeLessThan(pureOnly.proposals[1]?.at as number);
    // What either test proposed is marked on both runs: neither proposes it again in this run.
    expect(both.state.partial?.negative.proposed).toBe('high');
    expect(both.state.runs.negative.proposed).toBe('high');
    // Each severity once while either run lasts, whichever test reached it.
    const ranks = both.proposals.map((p) => ['low', 'medium', 'high'].indexOf(p.severity));
    expect(ranks).toEqual([...new Set(ranks)].sort());
    // A pure surge is still found first by the pure test, as soon as without the partial one.
    const pure = walk(negatives(12), { state: seasonedDetector() });
    expect(pure.proposals[0]).toMatchObject({ surgeShare: 1 });
    expect(pure.proposals[0]?.articles).toBe(
      walk(negatives(12), { state: seasonedDetector(), rules: rules({ partialShare: 1 }) }).proposals[0]
        ?.articles,
    );
  });

  it('asks the partial test for 1 nat more, and not for the surge’s own share of other articles', () => {
    const state = seasonedDetector();
    const pure = thresholdsFor(state, rules());
    expect(thresholdsFor(state, rules(), { others: 0, inDirection: 0 }, 0.6).low).toBeCloseTo(
      pure.low + 1,
      9,
    );
    // 20 negative and 12 other articles recently: what a 60 % surge brings, no burst for that test.
    const around = { others: 12, inDirection: 20 };
    expect(thresholdsFor(state, rules(), around, 0.6).low).toBeCloseTo(pure.low + 1, 9);
    expect(thresholdsFor(state, rules(), around).low).toBeCloseTo(rules().evidence.low + 2 * Math.log(18), 9);
  });

  it('keeps the gates: enough articles, enough of them in the direction, and only enabled directions', () => {
    expect(
      walk(negatives(12), { state: seasonedDetector(), rules: rules({ minVolume: 20 }) }).proposals,
    ).toEqual([]);
    const mixed = negatives(12).flatMap((o, i) => [o, obs(i * 0.5 + 0.1, 'neutral', 0.5)]);
    expect(walk(mixed, { state: seasonedDetector(), rules: rules({ minShare: 0.8 }) }).proposals).toEqual([]);
    const off = walk(negatives(12), {
      state: seasonedDetector(),
      rules: rules({ directions: ['positive'] }),
    });
    expect(off.proposals).toEqual([]);
    expect(Math.max(...off.evidence)).toBeGreaterThan(rules().evidence.high);
  });

  it('says when the evidence was scored by a version the baseline was not learned from', () => {
    const other = negatives(10).map((o) => ({ ...o, modelVersion: 'platform/sentiment@4' }));
    const [p] = walk(other, { state: seasonedDetector() }).proposals;
    expect(p?.acrossVersions).toBe(true);
    expect(p?.band.versions).toEqual(['platform/sentiment@3']);
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

  it('raises again once the windows are a cooldown apart, and keeps directions apart', () => {
    expect(cooldownDecision(candidate(35, 'low'), [mark({})], 30 * M)).toEqual({ action: 'raise' });
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
