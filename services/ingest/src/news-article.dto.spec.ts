import { describe, expect, it } from 'vitest';
import { newsArticleSchema } from './news-article.dto';
import { validateRecord, type FieldIssue } from './record-validation';

const NOW = new Date('2025-06-01T12:00:00Z');
const schema = newsArticleSchema({ maxBodyChars: 50, maxFutureSkewS: 300, now: () => NOW });

const good = {
  id: 'wire-1',
  source: 'reuters',
  published_at: '2025-06-01T11:59:00Z',
  headline: 'ACME beats estimates',
};

function errorsOf(record: unknown): FieldIssue[] {
  const v = validateRecord(schema, record);
  if (v.ok) throw new Error('expected a rejection');
  return v.errors;
}

describe('news article validation', () => {
  it('accepts a minimal article and keeps nanosecond timestamps', () => {
    const v = validateRecord(schema, { ...good, published_at: '2025-06-01T13:59:00.123456789+02:00' });
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.value.published_at.date.toISOString()).toBe('2025-06-01T11:59:00.123Z');
    expect(v.value.published_at.nanos).toBe(123_456_789);
    expect(v.value.published_at.seconds).toBe(BigInt(Date.parse('2025-06-01T11:59:00Z') / 1000));
  });

  it('accepts every optional field and de-duplicates tickers', () => {
    const v = validateRecord(schema, {
      ...good,
      body: 'Shares rose.',
      tickers: ['ACME', 'BRK.B', 'ACME', 'X-1'],
      language: 'en-US',
    });
    expect(v.ok && v.value.tickers).toEqual(['ACME', 'BRK.B', 'X-1']);
  });

  it('names every missing required field', () => {
    expect(errorsOf({})).toEqual([
      { field: 'id', reason: 'is required' },
      { field: 'source', reason: 'is required' },
      { field: 'published_at', reason: 'is required' },
      { field: 'headline', reason: 'is required' },
    ]);
  });

  it('rejects unknown fields by name', () => {
    expect(errorsOf({ ...good, sentiment: 'positive', url: 'x' })).toEqual([
      { field: 'sentiment', reason: 'unknown field' },
      { field: 'url', reason: 'unknown field' },
    ]);
  });

  it('enforces lengths in characters, not UTF-16 units', () => {
    expect(errorsOf({ ...good, id: 'x'.repeat(201) })).toEqual([
      { field: 'id', reason: 'must be at most 200 characters (got 201)' },
    ]);
    expect(errorsOf({ ...good, source: '' })).toEqual([{ field: 'source', reason: 'must not be empty' }]);
    expect(errorsOf({ ...good, headline: '   ' })).toEqual([
      { field: 'headline', reason: 'must not be blank' },
    ]);
    expect(errorsOf({ ...good, body: 'y'.repeat(51) })[0]?.field).toBe('body');
    // 50 emoji are 100 UTF-16 units but 50 characters.
    expect(validateRecord(schema, { ...good, body: '😀'.repeat(50) }).ok).toBe(true);
    expect(errorsOf({ ...good, headline: 'h'.repeat(1001) })[0]?.field).toBe('headline');
  });

  it('requires a time zone and sane bounds on published_at', () => {
    const reasonFor = (published_at: unknown) => errorsOf({ ...good, published_at })[0];
    expect(reasonFor('2025-06-01T11:59:00')?.reason).toMatch(/time zone/);
    expect(reasonFor('yesterday')?.reason).toMatch(/ISO-8601/);
    expect(reasonFor(1717243140)?.reason).toMatch(/ISO-8601/);
    expect(reasonFor('2025-06-01T12:05:01Z')?.reason).toBe('is more than 300 s in the future');
    expect(reasonFor('1989-12-31T23:59:59Z')?.reason).toBe('is before 1990-01-01');
    expect(validateRecord(schema, { ...good, published_at: '2025-06-01T12:05:00Z' }).ok).toBe(true);
  });

  it('takes tickers in the canonical form of the ticker contract', () => {
    const v = validateRecord(schema, {
      ...good,
      tickers: ['ABCDEFG', 'VOD.L', '7203.T', 'NOVO-B.CO', 'acme', '$msft', 'NASDAQ:TSLA', 'brk/b'],
    });
    expect(v.ok && v.value.tickers).toEqual([
      'ABCDEFG',
      'VOD.L',
      '7203.T',
      'NOVO-B.CO',
      'ACME',
      'MSFT',
      'TSLA',
      'BRK.B',
    ]);
  });

  it('checks tickers and the language tag', () => {
    expect(errorsOf({ ...good, tickers: ['two words', 'A'.repeat(33)] })).toEqual([
      { field: 'tickers[0]', reason: expect.stringMatching(/must be a ticker such as TSLA/) },
      { field: 'tickers[1]', reason: expect.stringMatching(/at most 32 characters/) },
    ]);
    expect(errorsOf({ ...good, tickers: Array.from({ length: 51 }, (_, i) => `T${i}`) })).toEqual([
      { field: 'tickers', reason: 'at most 50 tickers' },
    ]);
    expect(errorsOf({ ...good, tickers: 'ACME' })[0]?.field).toBe('tickers');
    expect(errorsOf({ ...good, language: 'English' })[0]?.field).toBe('language');
    expect(validateRecord(schema, { ...good, language: 'gsw-CH' }).ok).toBe(true);
  });

  it('rejects text that is not clean Unicode', () => {
    expect(errorsOf({ ...good, headline: 'broken \ud800 surrogate' })[0]?.reason).toMatch(/unpaired/);
    expect(errorsOf({ ...good, body: 'decoded badly \ufffd' })[0]?.reason).toMatch(/U\+FFFD/);
    expect(errorsOf({ ...good, headline: 'nul \u0000' })[0]?.reason).toMatch(/NUL/);
    expect(errorsOf({ ...good, id: 'line\nbreak' })[0]).toEqual({
      field: 'id',
      reason: 'contains control characters',
    });
  });

  it('rejects a record that is not an object', () => {
    for (const record of [null, 'article', 42, [good]])
      expect(errorsOf(record)).toEqual([{ field: '(record)', reason: 'expected a JSON object' }]);
  });
});
