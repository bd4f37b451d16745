import { describe, expect, it } from 'vitest';
import { generateNews, generateRetail } from './generators';
import { seededRandom } from './random';

describe('seeded generators', () => {
  it('give the same data for the same seed and other data for another', () => {
    const a = generateNews({ seed: 7, count: 50, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 1000 });
    const b = generateNews({ seed: 7, count: 50, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 1000 });
    const c = generateNews({ seed: 8, count: 50, start: new Date('2026-01-01T00:00:00Z'), spacingMs: 1000 });
    expect(a).toEqual(b);
    expect(a.map((x) => x.headline)).not.toEqual(c.map((x) => x.headline));
  });

  it('produce a negative surge for the chosen ticker only', () => {
    const news = generateNews({
      seed: 1,
      count: 2000,
      start: new Date('2026-01-01T00:00:00Z'),
      spacingMs: 1000,
      surges: [{ ticker: 'TSLA', from: 1000, to: 1300, negativeShare: 0.9, share: 0.6 }],
    });
    const share = (from: number, to: number, ticker: string) => {
      const slice = news.slice(from, to).filter((a) => a.tickers.includes(ticker));
      return slice.filter((a) => a.sentiment === 'negative').length / slice.length;
    };
    expect(share(1000, 1300, 'TSLA')).toBeGreaterThan(0.7);
    expect(share(0, 1000, 'TSLA')).toBeLessThan(0.4);
    expect(share(1000, 1300, 'AAPL')).toBeLessThan(0.5);
    expect(news.every((a) => a.headline.length > 0 && a.tickers.length === 1)).toBe(true);
  });

  it('build a catalog with text and taste-driven interactions in time order', () => {
    const { items, interactions } = generateRetail({
      seed: 3,
      users: 20,
      items: 80,
      interactionsPerUser: 30,
      start: new Date(0),
      spacingMs: 60_000,
    });
    expect(items).toHaveLength(80);
    expect(items.every((i) => i.title && i.description.includes(i.categories[0]))).toBe(true);
    expect(interactions).toHaveLength(600);
    const times = interactions.map((i) => Date.parse(i.timestamp));
    expect(times).toEqual([...times].sort((x, y) => x - y));
    const firstUser = interactions
      .filter((i) => i.user_id === 'u-0')
      .map((i) => items.find((it) => it.item_id === i.item_id)?.categories[0]);
    const counts = new Map<string, number>();
    for (const c of firstUser) counts.set(c as string, (counts.get(c as string) ?? 0) + 1);
    const top2 = [...counts.values()]
      .sort((x, y) => y - x)
      .slice(0, 2)
      .reduce((s, n) => s + n, 0);
    expect(top2 / firstUser.length).toBeGreaterThan(0.7);
  });

  it('draws uniform numbers in [0, 1)', () => {
    const rand = seededRandom(42);
    const xs = Array.from({ length: 10_000 }, rand);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});
