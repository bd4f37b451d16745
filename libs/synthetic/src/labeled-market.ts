// A labeled synthetic news market for measuring surge alerts (bench/alert-quality.ts): many tickers
// over several trading days, each article with its TRUE sentiment, the label and probabilities a
// model with a given confusion matrix would give it, and injected surges whose start, size and
// length are known — the ground truth alerts are judged against. Seeded: the same options give the
// same market.
//
// What makes it realistic (and hard): per-ticker base rates around 15 % negative / 30 % positive;
// a heavy-tailed volume (lognormal, median 8 articles a day: many thin tickers, a few busy ones);
// news through the whole day (most in market hours, some pre-market, after hours and overnight)
// and a weekend between the trading days; each day's mix drifting around the ticker's; bursts of
// ordinary, mixed news (earnings, conferences) that must NOT alert; and a model that mislabels.
import { seededRandom } from './random';

export type MarketLabel = 'negative' | 'neutral' | 'positive';
export const MARKET_LABELS: readonly MarketLabel[] = ['negative', 'neutral', 'positive'];

export interface MarketArticle {
  id: string;
  ticker: string;
  /** Event time (published_at), ms since the epoch. */
  eventTime: number;
  truth: MarketLabel;
  /** What the model says: its label and its probabilities (negative, neutral, positive). */
  label: MarketLabel;
  probabilities: [number, number, number];
  /** The injected surge the article belongs to, or null for the ticker's ordinary news. */
  surge: number | null;
}

export interface InjectedSurge {
  id: number;
  ticker: string;
  direction: 'negative' | 'positive';
  /** Articles of the surge, on top of the ticker's ordinary news. */
  size: number;
  /** Share of its articles truly in its direction (the rest follow the ticker's mix). */
  share: number;
  start: number;
  end: number;
}

export interface MarketTicker {
  ticker: string;
  /** True mix (negative, neutral, positive). */
  mix: [number, number, number];
  /** Mean articles per trading day. */
  dailyVolume: number;
}

export interface LabeledMarketOptions {
  seed: number;
  tickers?: number;
  /** UTC midnights of the trading days; default Thu 2026-03-05, Fri, Mon, Tue, Wed (a weekend between). */
  days?: number[];
  /** P(predicted | actual), rows and columns negative, neutral, positive. */
  confusion?: readonly (readonly number[])[];
  surges?: number;
  /**
   * Share of a surge's articles truly in its direction (the rest follow the ticker's mix): one value,
   * or a range [low, high] each surge draws its share from uniformly. Default 1.
   */
  surgeShare?: number | readonly [number, number];
  /** Share of ticker-days with a burst of ordinary, mixed news. */
  mixedBurstRate?: number;
}

export interface LabeledMarket {
  tickers: MarketTicker[];
  days: number[];
  /** Every article, in event-time order. */
  articles: MarketArticle[];
  surges: InjectedSurge[];
}

/** A distilled student's confusion on held-out financial news (rows: actual; columns: predicted). */
export const STUDENT_CONFUSION: readonly (readonly number[])[] = [
  [0.84, 0.12, 0.04],
  [0.08, 0.82, 0.1],
  [0.03, 0.1, 0.87],
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MARKET_OPEN = 14.5 * HOUR;
const MARKET_HOURS = 6.5 * HOUR;

/** Seeded draws beyond uniform: normal (Box–Muller), gamma (Marsaglia–Tsang), beta, Dirichlet, categorical. */
class Draw {
  constructor(readonly uniform: () => number) {}

  normal(): number {
    const u = Math.max(this.uniform(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform());
  }

  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  beta(a: number, b: number): number {
    const x = this.gamma(a);
    return x / (x + this.gamma(b));
  }

  dirichlet(alpha: readonly number[]): number[] {
    const g = alpha.map((a) => this.gamma(a));
    const sum = g.reduce((s, x) => s + x, 0);
    return g.map((x) => x / sum);
  }

  categorical(p: readonly number[]): number {
    let u = this.uniform() * p.reduce((s, x) => s + x, 0);
    for (let i = 0; i < p.length; i++) {
      u -= p[i] as number;
      if (u < 0) return i;
    }
    return p.length - 1;
  }
}

export function generateLabeledMarket(options: LabeledMarketOptions): LabeledMarket {
  const draw = new Draw(seededRandom(options.seed));
  const confusion = options.confusion ?? STUDENT_CONFUSION;
  const days = options.days ?? [0, 1, 4, 5, 6].map((d) => Date.UTC(2026, 2, 5) + d * DAY);
  const articles: MarketArticle[] = [];
  let next = 0;

  const emit = (ticker: string, eventTime: number, truth: number, surge: number | null): void => {
    const predicted = draw.categorical(confusion[truth] as number[]);
    // Right labels come with more confidence than wrong ones, as with any usable classifier.
    const p = predicted === truth ? 0.45 + 0.54 * draw.beta(4, 1.6) : 0.4 + 0.35 * draw.beta(2, 2);
    const split = draw.uniform();
    const probabilities: [number, number, number] = [0, 0, 0];
    const others = [0, 1, 2].filter((i) => i !== predicted) as [number, number];
    probabilities[predicted] = p;
    probabilities[others[0]] = (1 - p) * split;
    probabilities[others[1]] = (1 - p) * (1 - split);
    articles.push({
      id: `m${options.seed}-${next++}`,
      ticker,
      eventTime: Math.round(eventTime),
      truth: MARKET_LABELS[truth] as MarketLabel,
      label: MARKET_LABELS[predicted] as MarketLabel,
      probabilities,
      surge,
    });
  };

  const tickers: MarketTicker[] = Array.from({ length: options.tickers ?? 200 }, (_, i) => {
    const mix = draw.dirichlet([0.15 * 40, 0.55 * 40, 0.3 * 40]) as [number, number, number];
    const dailyVolume = Math.min(600, Math.max(1, Math.exp(Math.log(8) + 1.3 * draw.normal())));
    return { ticker: `T${String(i).padStart(3, '0')}`, mix, dailyVolume };
  });

  for (const t of tickers) {
    for (const day of days) {
      const mix = draw.dirichlet(t.mix.map((m) => m * 200));
      const count = Math.round(t.dailyVolume * Math.exp(0.3 * draw.normal()));
      for (let i = 0; i < count; i++) {
        const u = draw.uniform();
        const at =
          u < 0.7
            ? MARKET_OPEN + draw.uniform() * MARKET_HOURS
            : u < 0.85
              ? 11 * HOUR + draw.uniform() * 3.5 * HOUR
              : u < 0.95
                ? 21 * HOUR + draw.uniform() * 3 * HOUR
                : draw.uniform() * 11 * HOUR;
        emit(t.ticker, day + at, draw.categorical(mix), null);
      }
      if (draw.uniform() < (options.mixedBurstRate ?? 0.15)) {
        const size = Math.max(4, Math.round(t.dailyVolume * (0.3 + draw.uniform() * 1.2)));
        const start = day + MARKET_OPEN + draw.uniform() * (MARKET_HOURS - 30 * MINUTE);
        for (let i = 0; i < size; i++)
          emit(t.ticker, start + draw.uniform() * 20 * MINUTE, draw.categorical(mix), null);
      }
    }
  }

  const surges: InjectedSurge[] = [];
  const [shareLow, shareHigh] =
    typeof options.surgeShare === 'number' || options.surgeShare === undefined
      ? [options.surgeShare ?? 1, options.surgeShare ?? 1]
      : options.surgeShare;
  for (let id = 0; id < (options.surges ?? 150); id++) {
    const t = tickers[Math.floor(draw.uniform() * tickers.length)] as MarketTicker;
    const day = days[Math.floor(draw.uniform() * days.length)] as number;
    const direction = draw.uniform() < 0.6 ? 'negative' : 'positive';
    const d = direction === 'negative' ? 0 : 2;
    const size = Math.round(Math.exp(Math.log(6) + draw.uniform() * Math.log(80 / 6)));
    const length = Math.exp(Math.log(5) + draw.uniform() * Math.log(120 / 5)) * MINUTE;
    const start = Math.round(day + MARKET_OPEN + draw.uniform() * (MARKET_HOURS - 30 * MINUTE));
    const share = shareLow === shareHigh ? shareLow : shareLow + draw.uniform() * (shareHigh - shareLow);
    surges.push({ id, ticker: t.ticker, direction, size, share, start, end: Math.round(start + length) });
    const rest = t.mix.map((m, i) => (i === d ? 0 : m));
    for (let i = 0; i < size; i++) {
      const at = i === 0 ? start : start + draw.uniform() * length;
      emit(t.ticker, at, draw.uniform() < share ? d : draw.categorical(rest), id);
    }
  }

  articles.sort((a, b) => a.eventTime - b.eventTime || (a.id < b.id ? -1 : 1));
  return { tickers, days, articles, surges };
}
