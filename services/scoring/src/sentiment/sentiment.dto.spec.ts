import { DomainError, parseInput } from '@mercato/runtime';
import { describe, expect, it } from 'vitest';
import { SentimentRequest } from './sentiment.dto';

function errorsOf(body: unknown): { field: string; reason: string }[] {
  try {
    parseInput(SentimentRequest, body);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    const response = (err as DomainError).body();
    expect(response.statusCode).toBe(400);
    expect(response.message).toBe('invalid request');
    return response.errors;
  }
  throw new Error('expected a 400');
}

describe('POST /v1/sentiment body', () => {
  it('accepts 1 to 100 texts of 1 to 5,000 characters', () => {
    expect(parseInput(SentimentRequest, { texts: ['a'] })).toEqual({ texts: ['a'], model: 'default' });
    expect(parseInput(SentimentRequest, { texts: ['a'], model: 'teacher' })).toEqual({
      texts: ['a'],
      model: 'teacher',
    });
    expect(() => parseInput(SentimentRequest, { texts: ['a'], model: 'biggest' })).toThrow();
    const largest = { texts: Array.from({ length: 100 }, () => 'x'.repeat(5_000)) };
    expect(parseInput(SentimentRequest, largest).texts).toHaveLength(100);
  });

  it('names the field and the reason of every problem', () => {
    expect(errorsOf(undefined)).toEqual([{ field: '(body)', reason: expect.any(String) }]);
    expect(errorsOf({})).toEqual([{ field: 'texts', reason: 'must be an array of strings' }]);
    expect(errorsOf({ texts: 'one text' })).toEqual([
      { field: 'texts', reason: 'must be an array of strings' },
    ]);
    expect(errorsOf({ texts: [] })).toEqual([{ field: 'texts', reason: 'must hold at least one text' }]);
    expect(errorsOf({ texts: Array.from({ length: 101 }, () => 'a') })).toEqual([
      { field: 'texts', reason: 'must hold at most 100 texts' },
    ]);
    expect(errorsOf({ texts: ['ok', '', 3, ' \n ', 'y'.repeat(5_001)] })).toEqual([
      { field: 'texts[1]', reason: 'must not be empty' },
      { field: 'texts[2]', reason: 'must be a string' },
      { field: 'texts[3]', reason: 'must not be blank' },
      { field: 'texts[4]', reason: 'must be at most 5000 characters' },
    ]);
  });
});
