import { DomainError, parseInput } from '@mercato/runtime';
import { describe, expect, it } from 'vitest';
import { InteractionsDatasetQuery, PopularQuery, UserId } from './http-validation';

const errorsOf = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const { message, errors } = (err as DomainError).body();
    return { message, errors };
  }
  throw new Error('expected a 400');
};

describe('recs HTTP validation', () => {
  it('parses dates and defaults', () => {
    expect(parseInput(InteractionsDatasetQuery, { as_of: '2026-03-01T00:00:00Z' })).toEqual({
      as_of: new Date('2026-03-01T00:00:00Z'),
    });
    expect(parseInput(PopularQuery, {})).toEqual({ kind: 'popular', limit: 100 });
    expect(parseInput(PopularQuery, { kind: 'trending', limit: '5', category: 'books' })).toEqual({
      kind: 'trending',
      limit: 5,
      category: 'books',
    });
  });

  it('names every bad field', () => {
    expect(
      errorsOf(() => parseInput(InteractionsDatasetQuery, { as_of: 'yesterday', split_at: '2026-13-01' })),
    ).toEqual({
      message: 'invalid request',
      errors: [
        { field: 'as_of', reason: expect.stringMatching(/ISO 8601/) },
        { field: 'split_at', reason: expect.stringMatching(/ISO 8601/) },
      ],
    });
    expect(errorsOf(() => parseInput(PopularQuery, { kind: 'hot', limit: '0', extra: '1' }))).toMatchObject({
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'kind' }),
        expect.objectContaining({ field: 'limit' }),
      ]),
    });
    expect(errorsOf(() => parseInput(UserId, 'a b', 'userId'))).toMatchObject({
      errors: [{ field: 'userId', reason: expect.any(String) }],
    });
  });
});
