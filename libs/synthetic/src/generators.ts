// Seeded synthetic data for tests, benchmarks and the demo: finance news with tickers and a known
// sentiment (optionally with a negative surge for chosen tickers), and a retail catalog with
// users × items interactions driven by per-user category tastes. The same seed gives the same data.
import { seededRandom } from './random';

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)];

export type Sentiment = 'negative' | 'neutral' | 'positive';

export const COMPANIES: Record<string, string> = {
  AAPL: 'Apple',
  MSFT: 'Microsoft',
  TSLA: 'Tesla',
  AMZN: 'Amazon',
  NVDA: 'Nvidia',
  JPM: 'JPMorgan',
  XOM: 'Exxon',
  PFE: 'Pfizer',
  KO: 'Coca-Cola',
  BA: 'Boeing',
};

const TEMPLATES: Record<Sentiment, readonly string[]> = {
  negative: [
    '{c} shares plunge after {reason}',
    '{c} misses earnings estimates as {reason}',
    '{c} cuts guidance, warns of {reason}',
    'Regulators open probe into {c} over {reason}',
    '{c} downgraded to sell amid {reason}',
    '{c} slumps as investors fret over {reason}',
  ],
  neutral: [
    '{c} to hold annual shareholder meeting on {day}',
    '{c} names new head of {dept}',
    '{c} schedules earnings call for {day}',
    '{c} files quarterly report with regulators',
    '{c} announces {dept} reorganization, no change to outlook',
  ],
  positive: [
    '{c} shares surge after {good}',
    '{c} beats earnings estimates on {good}',
    '{c} raises full-year guidance thanks to {good}',
    '{c} upgraded to buy on {good}',
    '{c} rallies to record high after {good}',
  ],
};
const REASONS = [
  'weak demand',
  'a product recall',
  'rising costs',
  'an accounting scandal',
  'supply chain disruption',
  'a lawsuit',
  'falling margins',
];
const GOOD = [
  'strong demand',
  'record sales',
  'a major contract win',
  'cost cuts paying off',
  'robust cloud growth',
  'a blockbuster launch',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const DEPTS = ['operations', 'finance', 'marketing', 'engineering', 'sales'];
const SOURCES = ['newswire', 'marketdesk', 'fintimes-sim', 'tickerfeed', 'analyst-notes'];

export interface GeneratedArticle {
  id: string;
  source: string;
  published_at: string;
  headline: string;
  body: string;
  tickers: string[];
  language: string;
  /** The sentiment the headline was written with (ground truth for tests). */
  sentiment: Sentiment;
}

export interface NewsOptions {
  seed: number;
  count: number;
  start: Date;
  /** Time between consecutive articles. */
  spacingMs: number;
  tickers?: string[];
  /** Share of each sentiment in normal times. */
  mix?: Record<Sentiment, number>;
  /** Tickers that get a burst of negative news between two article indices. */
  surges?: { ticker: string; from: number; to: number; negativeShare: number; share: number }[];
  /** Write the ticker as a $cashtag in the text (else only the company name). */
  cashtags?: boolean;
}

function chooseSentiment(rand: () => number, mix: Record<Sentiment, number>): Sentiment {
  const r = rand() * (mix.negative + mix.neutral + mix.positive);
  if (r < mix.negative) return 'negative';
  if (r < mix.negative + mix.neutral) return 'neutral';
  return 'positive';
}

export function generateNews(options: NewsOptions): GeneratedArticle[] {
  const rand = seededRandom(options.seed);
  const tickers = options.tickers ?? Object.keys(COMPANIES);
  const mix = options.mix ?? { negative: 0.25, neutral: 0.45, positive: 0.3 };
  const articles: GeneratedArticle[] = [];
  for (let i = 0; i < options.count; i++) {
    const surge = options.surges?.find((s) => i >= s.from && i < s.to && rand() < s.share);
    const ticker = surge ? surge.ticker : pick(rand, tickers);
    const sentiment: Sentiment = surge
      ? rand() < surge.negativeShare
        ? 'negative'
        : chooseSentiment(rand, mix)
      : chooseSentiment(rand, mix);
    const company = COMPANIES[ticker] ?? ticker;
    const named = options.cashtags === false ? company : `${company} ($${ticker})`;
    const headline = pick(rand, TEMPLATES[sentiment])
      .replace('{c}', named)
      .replace('{reason}', pick(rand, REASONS))
      .replace('{good}', pick(rand, GOOD))
      .replace('{day}', pick(rand, DAYS))
      .replace('{dept}', pick(rand, DEPTS));
    articles.push({
      id: `a-${options.seed}-${i}`,
      source: pick(rand, SOURCES),
      published_at: new Date(options.start.getTime() + i * options.spacingMs).toISOString(),
      headline,
      body: `${headline}. Market participants reacted to the news during the session.`,
      tickers: [ticker],
      language: 'en',
      sentiment,
    });
  }
  return articles;
}

export interface GeneratedItem {
  item_id: string;
  title: string;
  description: string;
  categories: string[];
  price: number;
  available: boolean;
}

export interface GeneratedInteraction {
  user_id: string;
  item_id: string;
  type: 'view' | 'click' | 'cart' | 'purchase' | 'rating';
  value: number;
  timestamp: string;
}

const CATEGORIES = [
  'books',
  'electronics',
  'kitchen',
  'garden',
  'toys',
  'sports',
  'music',
  'beauty',
] as const;
const ADJECTIVES = ['classic', 'compact', 'deluxe', 'eco', 'smart', 'vintage', 'portable', 'premium'];
const NOUNS: Record<(typeof CATEGORIES)[number], readonly string[]> = {
  books: ['novel', 'cookbook', 'biography', 'atlas'],
  electronics: ['headphones', 'charger', 'speaker', 'monitor'],
  kitchen: ['kettle', 'knife set', 'blender', 'pan'],
  garden: ['hose', 'planter', 'shears', 'lantern'],
  toys: ['puzzle', 'robot kit', 'board game', 'plush bear'],
  sports: ['yoga mat', 'dumbbell', 'football', 'water bottle'],
  music: ['vinyl record', 'guitar strings', 'ukulele', 'metronome'],
  beauty: ['face cream', 'shampoo', 'perfume', 'lip balm'],
};

export interface CatalogOptions {
  seed: number;
  users: number;
  items: number;
  interactionsPerUser: number;
  start: Date;
  spacingMs: number;
  /**
   * Brand names (made-up words) put in front of titles: with none, a category has 32 distinct titles
   * and a large catalogue is mostly items that read alike; a few thousand make items as varied as a
   * real catalogue's, which is what an approximate index over item vectors must be measured on.
   */
  brands?: number;
}

const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ren',
  'to',
  'vu',
  'sa',
  'dex',
  'nor',
  'pi',
  'zel',
  'qua',
  'bri',
  'fen',
  'ola',
  'tur',
];

/** `count` distinct made-up brand words, seeded. */
function brandNames(rand: () => number, count: number): string[] {
  if (count > 50_000) throw new Error(`brands: at most 50,000 (asked for ${count})`);
  const names = new Set<string>();
  while (names.size < count) {
    const length = 2 + Math.floor(rand() * 3);
    let name = '';
    for (let s = 0; s < length; s++) name += pick(rand, SYLLABLES);
    names.add(name);
  }
  return [...names];
}

/** Users favour two categories each; popularity follows a Zipf-like curve within a category. */
export function generateRetail(options: CatalogOptions): {
  items: GeneratedItem[];
  interactions: GeneratedInteraction[];
} {
  const rand = seededRandom(options.seed);
  const brands = options.brands ? brandNames(rand, options.brands) : [];
  const items: GeneratedItem[] = [];
  for (let i = 0; i < options.items; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const title = `${brands.length > 0 ? `${pick(rand, brands)} ` : ''}${pick(rand, ADJECTIVES)} ${pick(rand, NOUNS[category])}`;
    items.push({
      item_id: `i-${i}`,
      title,
      description: `A ${title} from our ${category} range.`,
      categories: [category],
      price: Math.round((5 + rand() * 195) * 100) / 100,
      available: rand() > 0.05,
    });
  }
  const byCategory = new Map<string, GeneratedItem[]>();
  for (const item of items) {
    const list = byCategory.get(item.categories[0]) ?? [];
    list.push(item);
    byCategory.set(item.categories[0], list);
  }
  const interactions: GeneratedInteraction[] = [];
  let t = options.start.getTime();
  for (let u = 0; u < options.users; u++) {
    const tastes = [pick(rand, CATEGORIES), pick(rand, CATEGORIES)];
    for (let k = 0; k < options.interactionsPerUser; k++) {
      const category = rand() < 0.85 ? pick(rand, tastes) : pick(rand, CATEGORIES);
      const pool = byCategory.get(category) ?? items;
      const item = pool[Math.min(pool.length - 1, Math.floor(pool.length * rand() ** 2))];
      const r = rand();
      const type: GeneratedInteraction['type'] =
        r < 0.5 ? 'view' : r < 0.75 ? 'click' : r < 0.87 ? 'cart' : r < 0.95 ? 'purchase' : 'rating';
      interactions.push({
        user_id: `u-${u}`,
        item_id: item.item_id,
        type,
        value: type === 'rating' ? 1 + Math.floor(rand() * 5) : 1,
        timestamp: new Date((t += options.spacingMs)).toISOString(),
      });
    }
  }
  return { items, interactions };
}

/**
 * A generated retail history as a recommender's training data (the shape trainRecommender of
 * @mercato/ml reads): interactions by raw user id, items with their title as text.
 */
export function retailTrainingData(retail: {
  items: GeneratedItem[];
  interactions: GeneratedInteraction[];
}): {
  interactions: { user: string; item: string; value: number; timestamp: number }[];
  items: { item: string; text: string; categories: string[] }[];
} {
  return {
    interactions: retail.interactions.map((i) => ({
      user: i.user_id,
      item: i.item_id,
      value: i.value,
      timestamp: Date.parse(i.timestamp),
    })),
    items: retail.items.map((i) => ({ item: i.item_id, text: i.title, categories: i.categories })),
  };
}
