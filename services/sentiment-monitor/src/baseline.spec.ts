import { describe, expect, it } from 'vitest';
import {
  BAND_MAX_ARTICLES,
  baselineSource,
  computeMarketPrior,
  countsFor,
  DEFAULT_MARKET_PRIOR,
  emptyBaseline,
  foldWindow,
  posterior,
  predictedMix,
  shareBand,
  trueMix,
  type MarketPrior,
  type TickerBaseline,
} from './baseline';
import { DEFAULT_CONFUSION, type ConfusionMatrix } from './confusion';
import { SHARP_CONFUSION } from '../test/observations';

const SHARP = SHARP_CONFUSION;
const confusionOf = (version: string): ConfusionMatrix => (version === 'weak@1' ? DEFAULT_CONFUSION : SHARP);
const settings = { memoryArticles: 300 };

describe('ticker baseline', () => {
  it('counts the labels of the version that scored the windows', () => {
    const b = foldWindow(emptyBaseline(), { counts: [3, 5, 2], version: 'm@1' }, confusionOf, settings);
    expect(b).toEqual({ version: 'm@1', counts: [3, 5, 2], articles: 10, versions: ['m@1'] });
  });

  it('forgets by articles, never by time, so a window after a weekend weighs what it would after a minute', () => {
    let b = emptyBaseline();
    for (let i = 0; i < 50; i++)
      b = foldWindow(b, { counts: [1, 8, 1], version: 'm@1' }, confusionOf, settings);
    // 50 windows of 10 with a 300-article memory: each older window weighs e^(−10/300) less.
    const decay = Math.exp(-10 / 300);
    expect(b.counts.reduce((a, c) => a + c, 0)).toBeCloseTo((10 * (1 - decay ** 50)) / (1 - decay), 9);
    // A window where the surge test fired teaches at a weight.
    const weighted = foldWindow(b, { counts: [10, 0, 0], version: 'm@1' }, confusionOf, settings, 0.2);
    expect(weighted.counts[0]).toBeCloseTo((b.counts[0] as number) * Math.exp(-2 / 300) + 2, 9);
  });

  it('finds the true mix behind a version’s labels through its confusion', () => {
    const truth = [0.2, 0.5, 0.3];
    const labels = predictedMix(truth, DEFAULT_CONFUSION).map((q) => q * 1000);
    trueMix(labels, DEFAULT_CONFUSION).forEach((p, i) => expect(p).toBeCloseTo(truth[i] as number, 4));
  });

  it('translates its counts when another version starts scoring the ticker', () => {
    const truth = [0.2, 0.5, 0.3];
    const weak = {
      version: 'weak@1',
      counts: predictedMix(truth, DEFAULT_CONFUSION).map((q) => q * 200),
      articles: 200,
      versions: ['weak@1'],
    };
    const asSharp = countsFor(weak, 'sharp@2', confusionOf);
    predictedMix(truth, SHARP).forEach((q, l) => expect((asSharp[l] as number) / 200).toBeCloseTo(q, 4));
    expect(countsFor(weak, 'weak@1', confusionOf)).toBe(weak.counts);
    const folded = foldWindow(weak, { counts: [2, 5, 3], version: 'sharp@2' }, confusionOf, settings);
    expect(folded.version).toBe('sharp@2');
    expect(folded.versions).toEqual(['weak@1', 'sharp@2']);
    expect(folded.counts[0]).toBeCloseTo((asSharp[0] as number) * Math.exp(-10 / 300) + 2, 6);
  });

  it('leans on the market prior, seen through the version, until the ticker has history', () => {
    const prior: MarketPrior = { mean: [0.1, 0.6, 0.3], concentration: 40, tickers: 12 };
    const fresh = emptyBaseline();
    posterior(fresh.counts, prior, SHARP).forEach((a, l) =>
      expect(a).toBeCloseTo((predictedMix(prior.mean, SHARP)[l] as number) * 40, 12),
    );
    expect(baselineSource(fresh, prior)).toBe('market');
    expect(baselineSource(fresh, DEFAULT_MARKET_PRIOR)).toBe('default');
    const seasoned: TickerBaseline = {
      version: 'm@1',
      counts: [20, 20, 10],
      articles: 50,
      versions: ['m@1'],
    };
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
    // The other labels keep their ratio at the band's high end.
    expect(wide.highMix[0]).toBeCloseTo(wide.high, 12);
    expect((wide.highMix[1] as number) / (wide.highMix[2] as number)).toBeCloseTo(11 / 6, 12);
  });
});

describe('market prior', () => {
  const ticker = (neg: number, pos: number, n: number): TickerBaseline => ({
    version: 'm@1',
    counts: predictedMix([neg, 1 - neg - pos, pos], SHARP).map((q) => q * n),
    articles: n,
    versions: ['m@1'],
  });

  it('is the default until enough tickers have history', () => {
    expect(computeMarketPrior([ticker(0.1, 0.3, 100), ticker(0.2, 0.3, 100)], confusionOf)).toBe(
      DEFAULT_MARKET_PRIOR,
    );
    expect(
      computeMarketPrior(
        Array.from({ length: 10 }, () => ticker(0.1, 0.3, 5)),
        confusionOf,
      ),
    ).toBe(DEFAULT_MARKET_PRIOR);
  });

  it('is the mean true mix of the tenant’s tickers, as concentrated as their spread allows', () => {
    const alike = Array.from({ length: 10 }, (_, i) => ticker(0.15 + (i % 2 ? 0.01 : -0.01), 0.3, 200));
    const apart = Array.from({ length: 10 }, (_, i) => ticker(0.15 + (i % 2 ? 0.05 : -0.05), 0.3, 200));
    const a = computeMarketPrior(alike, confusionOf);
    const b = computeMarketPrior(apart, confusionOf);
    expect(a.mean[0]).toBeCloseTo(0.15, 4);
    expect(a.tickers).toBe(10);
    // Tickers that differ little: the strongest prior allowed; tickers far apart: a weak one.
    expect(a.concentration).toBe(200);
    expect(b.concentration).toBeCloseTo((0.15 * 0.85) / ((10 * 0.0025) / 9 - (0.15 * 0.85) / 201) - 1, 0);
  });
});
