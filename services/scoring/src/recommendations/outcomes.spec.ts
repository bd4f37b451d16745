import { describe, expect, it } from 'vitest';
import { OutcomeTracker, popularityPercentiles, rate } from './outcomes';

const list = (...ids: string[]) => ids.map((itemId) => ({ itemId }));
const WINDOW = 1_000;

describe('OutcomeTracker', () => {
  it('counts an engagement with a served item within the window as a hit, and a purchase as both', () => {
    const t = new OutcomeTracker({ windowMs: WINDOW, maxPending: 100 });
    t.served('t1', 'u1', 'production', 3, list('a', 'b'), 0);
    t.served('t1', 'u2', 'production', 3, list('a', 'b'), 0);
    t.served('t1', 'u3', 'production', 3, list('c'), 0);
    t.interaction('t1', 'u1', 'b', 'purchase', 500);
    t.interaction('t1', 'u2', 'a', 'view', 500); // a view is not engagement
    t.interaction('t1', 'u3', 'c', 'engaged', 1_500); // after the window
    t.interaction('t2', 'u2', 'a', 'engaged', 500); // another tenant's user
    t.resolve(900);
    expect(t.total('t1', 'production', 3)).toEqual({ answers: 0, hits: 0, purchases: 0 });
    t.resolve(1_001);
    expect(t.total('t1', 'production', 3)).toEqual({ answers: 3, hits: 1, purchases: 1 });
    expect(rate(t.total('t1', 'production', 3))).toBeCloseTo(1 / 3);
  });

  it('does not count a cached answer asked again twice, but counts shadow pairs every time', () => {
    const t = new OutcomeTracker({ windowMs: WINDOW, maxPending: 100 });
    const cached = list('a');
    t.served('t1', 'u1', 'production', 1, cached, 0);
    t.served('t1', 'u1', 'production', 1, cached, 10);
    t.served('t1', 'u1', 'shadow', 2, list('b'), 0);
    t.served('t1', 'u1', 'shadow', 2, list('b'), 10);
    t.served('t1', 'u1', 'shadow_baseline', 2, cached, 0);
    t.served('t1', 'u1', 'shadow_baseline', 2, cached, 10);
    t.interaction('t1', 'u1', 'b', 'engaged', 100);
    t.resolve(5_000);
    expect(t.total('t1', 'production', 1)).toEqual({ answers: 1, hits: 0, purchases: 0 });
    expect(t.total('t1', 'shadow', 2)).toEqual({ answers: 2, hits: 2, purchases: 0 });
    expect(t.total('t1', 'shadow_baseline', 2)).toEqual({ answers: 2, hits: 0, purchases: 0 });
  });

  it('counts the same cached list again once its first answer is resolved, and per user and version', () => {
    const t = new OutcomeTracker({ windowMs: WINDOW, maxPending: 100 });
    const cached = list('a');
    t.served('t1', 'u1', 'production', 1, cached, 0);
    t.served('t1', 'u2', 'production', 1, cached, 0); // a cold-start list shared by users
    t.served('t1', 'u1', 'production', 2, cached, 0);
    t.served('t1', 'u1', 'staging', 1, cached, 0);
    t.resolve(1_001);
    t.served('t1', 'u1', 'production', 1, cached, 1_100);
    t.served('t1', 'u1', 'production', 1, cached, 1_200);
    t.resolve(5_000);
    expect(t.total('t1', 'production', 1)).toEqual({ answers: 3, hits: 0, purchases: 0 });
    expect(t.total('t1', 'production', 2)).toEqual({ answers: 1, hits: 0, purchases: 0 });
    expect(t.total('t1', 'staging', 1)).toEqual({ answers: 1, hits: 0, purchases: 0 });
  });

  it('resolves the oldest answer early beyond maxPending', () => {
    const t = new OutcomeTracker({ windowMs: WINDOW, maxPending: 2 });
    t.served('t1', 'u1', 'production', 1, list('a'), 0);
    t.interaction('t1', 'u1', 'a', 'engaged', 1);
    t.served('t1', 'u2', 'production', 1, list('a'), 2);
    t.served('t1', 'u3', 'production', 1, list('a'), 3);
    expect(t.total('t1', 'production', 1)).toEqual({ answers: 1, hits: 1, purchases: 0 });
  });

  it('reports coverage and the popularity percentile of what was served, per window', () => {
    const t = new OutcomeTracker({ windowMs: WINDOW, maxPending: 100 });
    const catalog = ['a', 'b', 'c', 'd'];
    // Popularity: a 3 interactions, b 2, c 1, d none.
    for (const [item, n] of [
      ['a', 3],
      ['b', 2],
      ['c', 1],
    ] as const)
      for (let i = 0; i < n; i++) t.interaction('t1', 'someone', item, 'view', 0);
    t.served('t1', 'u1', 'production', 1, list('a', 'b'), 0);
    t.served('t1', 'u2', 'production', 1, list('a'), 0);
    t.interaction('t1', 'u2', 'a', 'engaged', 10);
    t.resolve(2_000);
    const [report] = t.report(() => new Set(catalog));
    // Percentiles (mid-rank): d 0.125, c 0.375, b 0.625, a 0.875; served a twice and b once.
    expect(report).toMatchObject({ tenantId: 't1', stream: 'production', version: 1, answers: 2, hits: 1 });
    expect(report?.impressions).toBe(3);
    expect(report?.coverage).toBe(0.5);
    expect(report?.popularityPercentile).toBeCloseTo((0.875 * 2 + 0.625) / 3);
    // A new window: nothing served since.
    expect(t.report(() => new Set(catalog))).toEqual([]);
  });

  it('gives the catalogue a mean percentile of 0.5, ties sharing their mid-rank, and nothing to other items', () => {
    const catalog = new Set(['a', 'b', 'c']);
    const p = popularityPercentiles(
      catalog,
      new Map([
        ['a', 5],
        ['elsewhere', 9],
      ]),
    );
    expect(p('b')).toBeCloseTo(1 / 3);
    expect(p('c')).toBeCloseTo(1 / 3);
    expect(p('a')).toBeCloseTo(5 / 6);
    expect(p('elsewhere')).toBeUndefined();
    expect([...catalog].reduce((x, id) => x + (p(id) ?? 0), 0) / 3).toBeCloseTo(0.5);
    const ties = popularityPercentiles(
      new Set(['a', 'b', 'c', 'd']),
      new Map([
        ['a', 2],
        ['b', 2],
        ['c', 1],
      ]),
    );
    expect([ties('d'), ties('c'), ties('a'), ties('b')]).toEqual([0.125, 0.375, 0.75, 0.75]);
  });
});
