// What a ticker's news is normally made of, learned rather than assumed. A baseline holds the
// ticker's mix of TRUE labels (negative, neutral, positive) as pseudo-counts: each closed window's
// predicted labels are translated through the confusion of the version that scored them (one EM
// step: each predicted label is split over the true labels it may come from), and older windows are
// forgotten by articles, not by time, so a weekend or a night without news changes nothing. Kept in
// true labels, a baseline serves every model version: what a version should see is mix × confusion.
//
// A ticker with little history leans on the tenant's market prior: the mix and the spread of the
// tenant's tickers (computeMarketPrior, refreshed continuously from the baselines), weighing as
// many pseudo-articles as the spread between tickers justifies (empirical Bayes, beta-binomial).
import type { ConfusionMatrix } from './confusion';
import { LABELS } from './window-aggregate';

/** Index of each label in count vectors (LABELS order). */
export const LABEL_INDEX = { negative: 0, neutral: 1, positive: 2 } as const;

export interface TickerBaseline {
  /** Pseudo-counts of true labels learned from the ticker's closed windows (LABELS order). */
  counts: number[];
  /** Articles of the windows folded in, over all time. */
  articles: number;
  /** Model versions of the folded windows, most recent last (a few). */
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

export const emptyBaseline = (): TickerBaseline => ({ counts: [0, 0, 0], articles: 0, versions: [] });

export interface BaselineSettings {
  /** Articles after which a folded window weighs 1/e as much (the EWMA's memory, in articles). */
  memoryArticles: number;
}

/** Where a baseline's mix mostly comes from: the default prior, the market prior, or the ticker. */
export type BaselineSource = 'default' | 'market' | 'history';

/** The ticker's posterior Dirichlet over true-label mixes: market prior plus its own counts. */
export function posterior(b: TickerBaseline, prior: MarketPrior): number[] {
  return prior.mean.map((m, i) => m * prior.concentration + (b.counts[i] as number));
}

export const effectiveArticles = (b: TickerBaseline): number => b.counts.reduce((a, c) => a + c, 0);

export function baselineSource(b: TickerBaseline, prior: MarketPrior): BaselineSource {
  if (effectiveArticles(b) >= prior.concentration) return 'history';
  return prior.tickers === 0 ? 'default' : 'market';
}

const normalize = (v: readonly number[]): number[] => {
  const sum = v.reduce((a, b) => a + b, 0);
  return v.map((x) => x / sum);
};

/** P(predicted label) when the true mix is `mix`: mix × confusion. */
export const predictedMix = (mix: readonly number[], confusion: ConfusionMatrix): number[] =>
  LABELS.map((_, l) => mix.reduce((s, p, a) => s + p * ((confusion[a] as number[])[l] as number), 0));

/**
 * The mix with the true share of label `i` moved to `share`, the other labels keeping their ratio
 * (how a band on one share is turned into mixes).
 */
function withShare(mix: readonly number[], i: number, share: number): number[] {
  const rest = 1 - (mix[i] as number);
  return mix.map((p, j) =>
    j === i ? share : rest <= 0 ? (1 - share) / (mix.length - 1) : (p * (1 - share)) / rest,
  );
}

export interface ShareBand {
  /** The true share of the label: posterior mean, and the band mean ± z·sd (clipped to [0, 1]). */
  share: number;
  low: number;
  high: number;
  /** The mixes at the band's low and high end (the other labels keeping their ratio). */
  lowMix: number[];
  highMix: number[];
  mean: number[];
}

/**
 * A ticker's mix drifts from day to day (a run of news about one thing, a quiet week), so however
 * long its history, its band is never narrower than that of this many articles.
 */
export const BAND_MAX_ARTICLES = 60;

/** The band of one label's true share under the posterior (Beta marginal of the Dirichlet). */
export function shareBand(alpha: readonly number[], i: number, z: number): ShareBand {
  const total = alpha.reduce((a, b) => a + b, 0);
  const mean = alpha.map((a) => a / total);
  const share = mean[i] as number;
  const sd = Math.sqrt((share * (1 - share)) / (Math.min(total, BAND_MAX_ARTICLES) + 1));
  const low = Math.max(0, share - z * sd);
  const high = Math.min(1, share + z * sd);
  return { share, low, high, lowMix: withShare(mean, i, low), highMix: withShare(mean, i, high), mean };
}

/**
 * Folds one closed window in: its predicted-label counts become true-label soft counts (each
 * predicted label split over the true labels by P(true | predicted) under the current posterior and
 * the scoring version's confusion), weighted by `weight`, after decaying what was there by the
 * window's articles.
 */
export function foldWindow(
  b: TickerBaseline,
  window: { counts: readonly number[]; version: string },
  confusion: ConfusionMatrix,
  prior: MarketPrior,
  settings: BaselineSettings,
  weight = 1,
): TickerBaseline {
  const volume = window.counts.reduce((a, c) => a + c, 0);
  if (volume === 0) return b;
  const mix = normalize(posterior(b, prior));
  const predicted = predictedMix(mix, confusion);
  const soft = [0, 0, 0];
  window.counts.forEach((n, l) => {
    if (n === 0) return;
    for (let a = 0; a < soft.length; a++) {
      soft[a] =
        (soft[a] as number) +
        (n * (mix[a] as number) * ((confusion[a] as number[])[l] as number)) / (predicted[l] as number);
    }
  });
  const decay = Math.exp((-volume * weight) / settings.memoryArticles);
  const versions =
    window.version === ''
      ? b.versions
      : [...b.versions.filter((v) => v !== window.version), window.version].slice(-5);
  return {
    counts: b.counts.map((c, i) => c * decay + weight * (soft[i] as number)),
    articles: b.articles + volume,
    versions,
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
 * The tenant's market prior from its tickers' baselines: the mean of their mixes, and a
 * concentration from the spread of their negative and positive shares beyond what their own
 * sampling noise explains (method of moments for a Dirichlet: κ = m(1 − m)/var − 1, the smaller of
 * the two, so the prior never claims more certainty than either share supports).
 */
export function computeMarketPrior(
  baselines: readonly TickerBaseline[],
  settings: MarketPriorSettings = MARKET_PRIOR_SETTINGS,
): MarketPrior {
  const learned = baselines
    .map((b) => ({ n: effectiveArticles(b), mix: b.counts }))
    .filter((t) => t.n >= settings.minArticles)
    .map((t) => ({ n: t.n, mix: normalize(t.mix) }));
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
