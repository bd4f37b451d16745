import { describe, expect, it } from 'vitest';
import { RecommendationsQuery } from './recommendations.dto';

const issues = (input: Record<string, unknown>) => {
  const result = RecommendationsQuery.safeParse({ userId: 'u-1', ...input });
  return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
};

describe('RecommendationsQuery', () => {
  it('reads defaults and values', () => {
    expect(RecommendationsQuery.parse({ userId: 'shop:42@eu' })).toEqual({
      userId: 'shop:42@eu',
      k: 10,
      exclude: new Set(),
    });
    expect(
      RecommendationsQuery.parse({
        userId: 'u',
        k: '25',
        exclude: 'seen, purchased',
        category: 'Home & Garden',
      }),
    ).toEqual({
      userId: 'u',
      k: 25,
      exclude: new Set(['seen', 'purchased']),
      category: 'Home & Garden',
    });
  });

  it('names the field of each bad value', () => {
    expect(issues({ k: '0' })).toEqual(['k']);
    expect(issues({ k: '101' })).toEqual(['k']);
    expect(issues({ k: '1.5' })).toEqual(['k']);
    expect(issues({ k: 'x' })).toEqual(['k']);
    expect(issues({ userId: '' })).toEqual(['userId']);
    expect(issues({ userId: 'a b' })).toEqual(['userId']);
    expect(issues({ userId: 'a'.repeat(101) })).toEqual(['userId']);
    expect(issues({ userId: 'a'.repeat(100) })).toEqual([]);
    expect(issues({ exclude: 'seen,all' })).toEqual(['exclude.1']);
    expect(issues({ category: '<b>' })).toEqual(['category']);
  });
});
