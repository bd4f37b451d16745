import { DomainError } from '@mercato/runtime';
import { describe, expect, it } from 'vitest';
import { batchOf } from './batch-envelope';

function refusal(body: unknown, max = 3): { status: number; errors: unknown } {
  try {
    batchOf(body, 'articles', max);
  } catch (err) {
    if (err instanceof DomainError) return { status: err.status, errors: err.errors };
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('batch envelope', () => {
  it('returns the records of a well-formed envelope', () => {
    expect(batchOf({ articles: [1, 2, 3] }, 'articles', 3)).toEqual([1, 2, 3]);
  });

  it('refuses bodies that are not the envelope', () => {
    expect(refusal([{ id: 1 }])).toEqual({
      status: 400,
      errors: [{ field: '(body)', reason: 'expected a JSON object { "articles": [ … ] }' }],
    });
    expect(refusal('text').status).toBe(400);
    expect(refusal(null).status).toBe(400);
    expect(refusal({})).toEqual({ status: 400, errors: [{ field: 'articles', reason: 'is required' }] });
    expect(refusal({ articles: {} }).errors).toEqual([
      { field: 'articles', reason: 'expected an array of records' },
    ]);
    expect(refusal({ articles: [] }).errors).toEqual([
      { field: 'articles', reason: 'must hold at least one record' },
    ]);
    expect(refusal({ articles: [1], extra: true }).errors).toEqual([
      { field: 'extra', reason: 'unknown field (expected only "articles")' },
    ]);
  });

  it('refuses a batch over the limit with 413 naming the limit', () => {
    expect(refusal({ articles: [1, 2, 3, 4] })).toEqual({
      status: 413,
      errors: [{ field: 'articles', reason: '4 records; at most 3 per request (INGEST_MAX_BATCH)' }],
    });
  });
});
