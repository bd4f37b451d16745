// What a ticker's news is normally labelled, learned rather than assumed. A baseline holds the
// labels (negative, neutral, positive) of the ticker's closed windows as pseudo-counts of ONE model
// version's labels — the version that scored them — forgotten by articles, not by time, so a
// weekend or a night without news changes nothing. When another version starts scoring the ticker,
// the counts are translated: the true mix behind them is estimated through the old version's
// measured confusion (EM) and seen through the new one's; the baseline remembers it was translated.
//
// A ticker with little history leans on the tenant's market prior: the TRUE mix and the spread of
// the tenant's tickers (computeMarketPrior, refreshed continuously from the baselines), seen through
// the scoring version's confusion and weighing as many pseudo-articles as the spread between
// tickers justifies (empirical Bayes, beta-binomial). The band of a share is that posterior's.
import type { ConfusionMatrix } from './confusion';
import { LABELS } from './window-aggregate';

/** Index of each label in count vectors (LABELS order). */
export const LABEL_INDEX = { negative: 0, neutral: 1, positive: 2 } as const;

export interface TickerBaseline {
  /** The version whose labels `counts` are ('' before the first window). */
  version: string;
  /** Pseudo-counts of that version's labels in the ticker's closed windows (LABELS order). */
  counts: number[];
  /** Articles of the windows folded in, over all time. */
  articles: number;
  /** Versions whose windows were folded in (translated when the version changed), most recent last. */
  versions: string[];
}

export interface MarketPrior {
  /** Mean true-label mix of the tenant's tickers (LABELS order). */
  mean: number[];
  /** Pseudo-articles the prior weighs in a ticker's baseline: the concentration of the ticker mixes. */
  concentration: number;
  /** Tickers it was estimated from; 0 for the default prior. */
  tickers: number;
}

/**
 * The prior of a tenant with too few tickers to learn from: about 15 % negative, 55 % neutral and
 * 30 % positive news, held loosely (20 pseudo-articles), so a new tenant's first tickers move it.
 */
export const DEFAULT_MARKET_PRIOR: MarketPrior = { mean: [0.15, 0.55, 0.3], concentration: 20, tickers: 0 };

export const emptyBaseline = (): TickerBaseline => ({
  version: '',
  counts: [0, 0, 0],
  articles: 0,
  versions: [],
});

export interface BaselineSettings {
  /** Articles after which a folded window weighs 1/e as much (the EWMA's memory, in articles). */
  memoryArticles: number;
}

/** Where a baseline's mix mostly comes from: the default prior, the market prior, or the ticker. */
export type BaselineSource = 'default' | 'market' | 'history';

export const effectiveArticles = (b: TickerBaseline): number => b.counts.reduce((a, c) => a + c, 0);

export function baselineSource(b: TickerBaseline, prior: MarketPrior): BaselineSource {
  if (effectiveArticles(b) >= prior.concentration) return 'history';
  return prior.tickers === 0 ? 'default' : 'market';
}

const normalize = (v: readonly number[]): number[] => {
  const sum = v.reduce((a, b) => a + b, 0);
  return sum <= 0 ? v.map(() => 1 / v.length) : v.map((x) => x / sum);
};

/** P(predicted label) when the true mix is `mix`: mix × confusion. */
export const predictedMix = (mix: readonly number[], confusion: ConfusionMatrix): number[] =>
  LABELS.map((_, l) => mix.reduce((s, p, a) => s + p * ((confusion[a] as number[])[l] as number), 0));

/**
 * The true mix most likely to have produced `labels` (counts of a version's labels) through its
 * confusion, by EM from the uniform mix; `prior` pseudo-counts (true labels) regularize it.
 */
export function trueMix(
  labels: readonly number[],
  confusion: ConfusionMatrix,
  prior: readonly number[] = [0, 0, 0],
): number[] {
  let mix = normalize(labels.map((n, i) => n + (prior[i] as number) + 1e-9));
  for (let step = 0; step < 200; step++) {
    const predicted = predictedMix(mix, confusion);
    const next = mix.map((p, a) => {
      const expected = labels.reduce(
        (s, n, l) =>
          s + (n * p * ((confusion[a] as number[])[l] as number)) / Math.max(predicted[l] as number, 1e-12),
        0,
      );
      return expected + (prior[a] as number);
    });
    const updated = normalize(next);
    const moved = updated.reduce((s, x, i) => s + Math.abs(x - (mix[i] as number)), 0);
    mix = updated;
    if (moved < 1e-9) break;
  }
  return mix;
}

// Baselines are never changed in place (folding makes new count arrays), so the true mix of a count
// array read through one matrix is kept: a market refresh then re-estimates only what changed.
const estimated = new WeakMap<readonly number[], { confusion: ConfusionMatrix; mix: number[] }>();

function trueMixOf(counts: readonly number[], confusion: ConfusionMatrix): number[] {
  const held = estimated.get(counts);
  if (held && held.confusion === confusion) return held.mix;
  const mix = trueMix(counts, confusion);
  estimated.set(counts, { confusion, mix });
  return mix;
}

/** The baseline's counts as another version would have labelled the same news. */
export function translate(
  b: TickerBaseline,
  from: ConfusionMatrix,
  to: ConfusionMatrix,
  version: string,
): TickerBaseline {
  const total = effectiveArticles(b);
  const counts = total === 0 ? [0, 0, 0] : predictedMix(trueMix(b.counts, from), to).map((q) => q * total);
  return { ...b, version, counts };
}

/**
 * A ticker's news has runs and quiet weeks, so however long its history, the band of a share is
 * never narrower than that of this many articles.
 */
export const BAND_MAX_ARTICLES = 60;

export interface ShareBand {
  /** The share of the version's labels in the direction: posterior mean, and mean ± z·sd. */
  share: number;
  low: number;
  high: number;
  /** The label distribution at the band's high end (the other labels keeping their ratio), and at the mean. */
  highMix: number[];
  mean: number[];
}

/** The Dirichlet posterior over a version's label distribution: the market prior seen through it, plus the counts. */
export function posterior(
  counts: readonly number[],
  prior: MarketPrior,
  confusion: ConfusionMatrix,
): number[] {
  return predictedMix(prior.mean, confusion).map((q, l) => q * prior.concentration + (counts[l] as number));
}

/** The band of one label's share under a Dirichlet posterior (its Beta marginal). */
export function shareBand(alpha: readonly number[], i: number, z: number): ShareBand {
  const total = alpha.reduce((a, b) => a + b, 0);
  const mean = alpha.map((a) => a / total);
  const share = mean[i] as number;
  const sd = Math.sqrt((share * (1 - share)) / (Math.min(total, BAND_MAX_ARTICLES) + 1));
  const low = Math.max(0, share - z * sd);
  const high = Math.min(1, share + z * sd);
  const rest = 1 - share;
  const highMix = mean.map((p, j) => (j === i ? high : rest <= 0 ? (1 - high) / 2 : (p * (1 - high)) / rest));
  return { share, low, high, highMix, mean };
}

/**
 * The baseline's counts in the labels of `version`: as they are when that version scored them,
 * translated through both confusions otherwise.
 */
export function countsFor(
  b: TickerBaseline,
  version: string,
  confusion: (version: string) => ConfusionMatrix,
): number[] {
  if (b.version === '' || b.version === version || effectiveArticles(b) === 0) return b.counts;
  return translate(b, confusion(b.version), confusion(version), version).counts;
}

/**
 * Folds one closed window in (its counts of `version`'s labels), weighted by `weight`, after
 * decaying what was there by the window's articles; a baseline of another version is translated
 * into this one's labels first.
 */
export function foldWindow(
  b: TickerBaseline,
  window: { counts: readonly number[]; version: string },
  confusion: (version: string) => ConfusionMatrix,
  settings: BaselineSettings,
  weight = 1,
): TickerBaseline {
  const volume = window.counts.reduce((a, c) => a + c, 0);
  if (volume === 0) return b;
  const current =
    b.version === '' || b.version === window.version || effectiveArticles(b) === 0
      ? b
      : translate(b, confusion(b.version), confusion(window.version), window.version);
  const decay = Math.exp((-volume * weight) / settings.memoryArticles);
  return {
    version: window.version,
    counts: current.counts.map((c, i) => c * decay + weight * (window.counts[i] as number)),
    articles: b.articles + volume,
    versions: [...b.versions.filter((v) => v !== window.version), window.version].slice(-5),
  };
}

export interface MarketPriorSettings {
  /** Tickers whose baseline holds fewer effective articles do not shape the market prior. */
  minArticles: number;
  /** Fewest such tickers before the market prior replaces the default. */
  minTickers: number;
  /** Bounds of the concentration (pseudo-articles): how much, at most and at least, the prior weighs. */
  minConcentration: number;
  maxConcentration: number;
}

const MARKET_PRIOR_SETTINGS: MarketPriorSettings = {
  minArticles: 20,
  minTickers: 5,
  minConcentration: 5,
  maxConcentration: 200,
};

/**
 * The tenant's market prior from its tickers' baselines: the mean of their true mixes (each read
 * through the confusion of the version it was learned under), and a concentration from the spread
 * of their negative and positive shares beyond what their own sampling noise explains (method of
 * moments for a Dirichlet: κ = m(1 − m)/var − 1, the smaller of the two, so the prior never claims
 * more certainty than either share supports).
 */
export function computeMarketPrior(
  baselines: readonly TickerBaseline[],
  confusion: (version: string) => ConfusionMatrix,
  settings: MarketPriorSettings = MARKET_PRIOR_SETTINGS,
): MarketPrior {
  const learned = baselines
    .map((b) => ({ n: effectiveArticles(b), b }))
    .filter((t) => t.n >= settings.minArticles)
    .map((t) => ({ n: t.n, mix: trueMixOf(t.b.counts, confusion(t.b.version)) }));
  if (learned.length < settings.minTickers) return DEFAULT_MARKET_PRIOR;
  const mean = LABELS.map((_, i) => learned.reduce((s, t) => s + (t.mix[i] as number), 0) / learned.length);
  const concentrations = [LABEL_INDEX.negative, LABEL_INDEX.positive].map((i) => {
    const m = mean[i] as number;
    const spread = learned.reduce((s, t) => s + ((t.mix[i] as number) - m) ** 2, 0) / (learned.length - 1);
    const noise = learned.reduce((s, t) => s + (m * (1 - m)) / (t.n + 1), 0) / learned.length;
    const between = spread - noise;
    return between <= 0 ? settings.maxConcentration : (m * (1 - m)) / between - 1;
  });
  const concentration = Math.min(
    settings.maxConcentration,
    Math.max(settings.minConcentration, Math.min(...concentrations)),
  );
  return { mean, concentration, tickers: learned.length };
}
