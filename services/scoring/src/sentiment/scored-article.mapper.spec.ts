import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EnrichedArticleSchema, SentimentLabel } from '@mercato/contracts';
import { describe, expect, it } from 'vitest';
import { scoredEventId, scoringText, toScoredRecords, type ArticleScore } from './scored-article.mapper';

const article = (fields: { tickers?: string[]; headline?: string; normalizedText?: string } = {}) =>
  create(EnrichedArticleSchema, {
    tenantId: 'bank-1',
    articleId: 'a-1',
    source: 'newswire',
    headline: 'Tesla shares plunge after a product recall',
    normalizedText: 'tesla shares plunge after a product recall. market participants reacted.',
    tickers: ['TSLA'],
    publishedAt: timestampFromDate(new Date('2026-03-01T10:00:00Z')),
    receivedAt: timestampFromDate(new Date('2026-03-01T10:00:02Z')),
    ...fields,
  });

const score: ArticleScore = {
  label: 'negative',
  probabilities: { negative: 0.9, neutral: 0.07, positive: 0.03 },
  topTokens: [
    { token: 'plunge', weight: 0.4 },
    { token: 'recall', weight: 0.1 },
  ],
};

describe('scored event ids', () => {
  it('are the same for the same input event and ticker, and differ otherwise', () => {
    const id = scoredEventId('4a7d1ed4-1b3c-4c8e-9f00-000000000001', 'AAPL');
    // The id every scored record got before the derivation moved to @mercato/kafka.
    expect(id).toBe('dbcd6c53-ec17-57c4-b4b7-01537db54652');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(scoredEventId('4a7d1ed4-1b3c-4c8e-9f00-000000000001', 'AAPL')).toBe(id);
    expect(scoredEventId('4a7d1ed4-1b3c-4c8e-9f00-000000000001', 'MSFT')).not.toBe(id);
    expect(scoredEventId('4a7d1ed4-1b3c-4c8e-9f00-000000000002', 'AAPL')).not.toBe(id);
    // The separator keeps ("ab", "C") and ("a", "bC") apart.
    expect(scoredEventId('ab', 'C')).not.toBe(scoredEventId('a', 'bC'));
  });
});

describe('scoringText', () => {
  it('reads the headline, else the normalized text', () => {
    expect(scoringText(article())).toBe('Tesla shares plunge after a product recall');
    expect(scoringText(article({ headline: '  ', normalizedText: ' just a post ' }))).toBe('just a post');
    expect(scoringText(article({ headline: '', normalizedText: '' }))).toBe('');
  });
});

describe('toScoredRecords', () => {
  it('gives one record per distinct ticker, keyed by the ticker, with the score and the model', () => {
    const scoredAt = new Date('2026-03-01T10:00:03Z');
    const records = toScoredRecords(
      { eventId: 'evt-1', tenantId: 'bank-1', article: article({ tickers: ['TSLA', 'tsla', 'F'] }) },
      score,
      { owner: 'platform', name: 'sentiment', version: 7 },
      scoredAt,
    );
    expect(records.map((r) => r.key)).toEqual(['TSLA', 'F']);
    expect(records.map((r) => r.eventId)).toEqual([
      scoredEventId('evt-1', 'TSLA'),
      scoredEventId('evt-1', 'F'),
    ]);
    expect(records.every((r) => r.tenantId === 'bank-1')).toBe(true);
    const [first] = records;
    expect(first?.value).toMatchObject({
      tenantId: 'bank-1',
      articleId: 'a-1',
      ticker: 'TSLA',
      source: 'newswire',
      headline: 'Tesla shares plunge after a product recall',
      label: SentimentLabel.NEGATIVE,
      probNegative: 0.9,
      probNeutral: 0.07,
      probPositive: 0.03,
      modelName: 'sentiment',
      modelVersion: '7',
      modelOwner: 'platform',
      topTokens: [
        { token: 'plunge', weight: 0.4 },
        { token: 'recall', weight: 0.1 },
      ],
    });
    const v = first?.value;
    expect(v?.publishedAt && timestampDate(v.publishedAt as never).toISOString()).toBe(
      '2026-03-01T10:00:00.000Z',
    );
    expect(v?.receivedAt && timestampDate(v.receivedAt as never).toISOString()).toBe(
      '2026-03-01T10:00:02.000Z',
    );
    expect(v?.scoredAt && timestampDate(v.scoredAt as never).toISOString()).toBe('2026-03-01T10:00:03.000Z');
  });

  it('maps every label to its enum value', () => {
    const labelOf = (label: ArticleScore['label']) =>
      toScoredRecords(
        { eventId: 'e', tenantId: 't', article: article() },
        { ...score, label },
        { owner: 'acme', name: 'm', version: 1 },
        new Date(),
      )[0]?.value.label;
    expect([labelOf('negative'), labelOf('neutral'), labelOf('positive')]).toEqual([
      SentimentLabel.NEGATIVE,
      SentimentLabel.NEUTRAL,
      SentimentLabel.POSITIVE,
    ]);
  });

  it('gives nothing for an article without tickers', () => {
    expect(
      toScoredRecords(
        { eventId: 'e', tenantId: 't', article: article({ tickers: [' '] }) },
        score,
        { owner: 'acme', name: 'm', version: 1 },
        new Date(),
      ),
    ).toEqual([]);
  });
});
