import { describe, expect, it } from 'vitest';
import {
  BAND_MAX_ARTICLES,
  computeMarketPrior,
  DEFAULT_MARKET_PRIOR,
  emptyBaseline,
  foldWindow,
  posterior,
  predictedMix,
  shareBand,
  baselineSource,
  type MarketPrior,
  type TickerBaseline,
} from './baseline';
import { DEFAULT_CONFUSION } from './confusion';

const PERFECT = [
  [1, 0, 0],
  [0, 1, 0],
  [0, 0, 1],
];
const settings = { memoryArticles: 300 };

describe('ticker baseline', () => {
  it('learns true-label counts from windows through the scoring version’s confusion', () => {
    const b = foldWindow(
      emptyBaseline(),
      { counts: [3, 5, 2], version: 'm@1' },
      PERFECT,
      DEFAULT_MARKET_PRIOR,
      settings,
    );
    expect(b.counts[0]).toBeCloseTo(3, 12);
    expect(b.counts[1]).toBeCloseTo(5, 12);
    expect(b.counts[2]).toBeCloseTo(2, 12);
    expect(b).toMatchObject({ articles: 10, versions: ['m@1'] });
    // A confused model's negative labels are partly neutral news: fewer true negatives than labels.
    const confused = foldWindow(
      emptyBaseline(),
      { counts: [3, 5, 2], version: 'm@2' },
      DEFAULT_CONFUSION,
      DEFAULT_MARKET_PRIOR,
      settings,
    );
    expect(confused.counts.reduce((a, c) => a + c, 0)).toBeCloseTo(10, 9);
    expect(confused.counts[0]).toBeLessThan(3);
  });

  it('expects the labels it was taught: its mix seen through the confusion is what the windows held', () => {
    let b: TickerBaseline = emptyBaseline();
    const observed = predictedMix([0.2, 0.5, 0.3], DEFAULT_CONFUSION);
    for (let i = 0; i < 200; i++)
      b = foldWindow(
        b,
        { counts: observed.map((q) => q * 10), version: 'm@1' },
        DEFAULT_CONFUSION,
        DEFAULT_MARKET_PRIOR,
        settings,
      );
    const alpha = posterior(b, DEFAULT_MARKET_PRIOR);
    const total = alpha.reduce((a, c) => a + c, 0);
    const expected = predictedMix(
      alpha.map((a) => a / total),
      DEFAULT_CONFUSION,
    );
    // Within a hundredth: the market prior's 20 pseudo-articles still pull a little.
    expected.forEach((q, l) => expect(Math.abs(q - (observed[l] as number))).toBeLessThan(0.01));
  });

  it('forgets by articles, never by time, so a window after a weekend weighs what it would after a minute', () => {
    let b = emptyBaseline();
    for (let i = 0; i < 50; i++)
      b = foldWindow(b, { counts: [1, 8, 1], version: 'm@1' }, PERFECT, DEFAULT_MARKET_PRIOR, settings);
    // 50 windows of 10 with a 300-article memory: each older window weighs e^(−10/300) less.
    const decay = Math.exp(-10 / 300);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBeCloseTo((10 * (1 - decay ** 50)) / (1 - decay), 9);
    const weight = foldWindow(
      b,
      { counts: [10, 0, 0], version: 'm@1' },
      PERFECT,
      DEFAULT_MARKET_PRIOR,
      settings,
      0.2,
    );
    expect(weight.counts[0] as number).toBeLessThan((b.counts[0] as number) + 2.01);
  });

  it('leans on the market prior until the ticker has history', () => {
    const prior: MarketPrior = { mean: [0.1, 0.6, 0.3], concentration: 40, tickers: 12 };
    const fresh = emptyBaseline();
    expect(posterior(fresh, prior)).toEqual([4, 24, 12]);
    expect(baselineSource(fresh, prior)).toBe('market');
    expect(baselineSource(fresh, DEFAULT_MARKET_PRIOR)).toBe('default');
    const seasoned = { counts: [20, 20, 10], articles: 50, versions: [] };
    expect(baselineSource(seasoned, prior)).toBe('history');
  });

  it('gives a band that narrows with history, down to that of BAND_MAX_ARTICLES articles', () => {
    const wide = shareBand([3, 11, 6], 0, 1.28);
    const narrow = shareBand([30, 110, 60], 0, 1.28);
    const capped = shareBand([300, 1100, 600], 0, 1.28);
    expect(wide.share).toBeCloseTo(0.15, 12);
    expect(wide.high - wide.low).toBeGreaterThan(narrow.high - narrow.low);
    expect(capped.high - capped.low).toBeCloseTo(
      2 * 1.28 * Math.sqrt((0.15 * 0.85) / (BAND_MAX_ARTICLES + 1)),
      12,
    );
    // The other labels keep their ratio at the band's ends.
    expect((wide.highMix[1] as number) / (wide.highMix[2] as number)).toBeCloseTo(11 / 6, 12);
  });
});

describe('market prior', () => {
  const ticker = (neg: number, pos: number, n: number): TickerBaseline => ({
    counts: [neg * n, (1 - neg - pos) * n, pos * n],
    articles: n,
    versions: [],
  });

  it('is the default until enough tickers have history', () => {
    expect(computeMarketPrior([ticker(0.1, 0.3, 100), ticker(0.2, 0.3, 100)])).toBe(DEFAULT_MARKET_PRIOR);
    expect(computeMarketPrior(Array.from({ length: 10 }, () => ticker(0.1, 0.3, 5)))).toBe(
      DEFAULT_MARKET_PRIOR,
    );
  });

  it('is the mean mix of the tenant’s tickers, as concentrated as their spread allows', () => {
    const alike = Array.from({ length: 10 }, (_, i) => ticker(0.15 + (i % 2 ? 0.01 : -0.01), 0.3, 200));
    const apart = Array.from({ length: 10 }, (_, i) => ticker(0.15 + (i % 2 ? 0.05 : -0.05), 0.3, 200));
    const a = computeMarketPrior(alike);
    const b = computeMarketPrior(apart);
    expect(a.mean[0]).toBeCloseTo(0.15, 12);
    expect(a.tickers).toBe(10);
    // Tickers that differ little: a strong prior; tickers far apart: a weak one.
    expect(a.concentration).toBe(200);
    expect(b.concentration).toBeCloseTo((0.15 * 0.85) / ((10 * 0.0025) / 9 - (0.15 * 0.85) / 201) - 1, 6);
  });
});
