import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ScoredArticleSchema, SentimentLabel } from '@mercato/contracts';
import type { KafkaRecordInfo } from '@mercato/kafka';
import { describe, expect, it } from 'vitest';
import { InvalidScoredRecord, toObservation } from './scored-observation';

const record = (o: Partial<KafkaRecordInfo> = {}): KafkaRecordInfo => ({
  topic: 'news.scored.v1',
  partition: 0,
  offset: '7',
  key: 'ACME',
  headers: {},
  eventId: 'ev-1',
  tenantId: undefined,
  timestamp: Date.UTC(2026, 2, 2, 12, 0),
  attempt: 1,
  ...o,
});
const published = Date.UTC(2026, 2, 2, 10, 3);
const article = (o: Record<string, unknown> = {}) =>
  create(ScoredArticleSchema, {
    articleId: 'a-1',
    ticker: 'ACME',
    source: 'wire',
    headline: 'ACME cuts guidance',
    publishedAt: timestampFromMs(published),
    label: SentimentLabel.NEGATIVE,
    probNegative: 0.9,
    probNeutral: 0.07,
    probPositive: 0.03,
    modelName: 'sentiment',
    modelVersion: '3',
    ...o,
  });

describe('scored record → observation', () => {
  it('maps the fields, with published_at as event time and the event id from the header', () => {
    expect(toObservation(article(), record(), 'default')).toEqual({
      eventId: 'ev-1',
      tenantId: 'default',
      ticker: 'ACME',
      articleId: 'a-1',
      headline: 'ACME cuts guidance',
      source: 'wire',
      eventTime: published,
      label: 'negative',
      probNegative: expect.closeTo(0.9, 6),
      probNeutral: expect.closeTo(0.07, 6),
      probPositive: expect.closeTo(0.03, 6),
      modelVersion: 'sentiment@3',
    });
  });

  it('takes the tenant from the message, then the header, then the default', () => {
    expect(toObservation(article({ tenantId: 'bank-a' }), record({ tenantId: 'h' }), 'd').tenantId).toBe(
      'bank-a',
    );
    expect(toObservation(article(), record({ tenantId: 'h' }), 'd').tenantId).toBe('h');
  });

  it('falls back to the key for the ticker and to received_at, then the broker time, for the event time', () => {
    const noTime = article({
      ticker: '',
      publishedAt: undefined,
      receivedAt: timestampFromMs(published + 1_000),
    });
    expect(toObservation(noTime, record(), 'd')).toMatchObject({
      ticker: 'ACME',
      eventTime: published + 1_000,
    });
    expect(toObservation(article({ publishedAt: undefined }), record(), 'd').eventTime).toBe(
      record().timestamp,
    );
  });

  it('counts every ticker of the contract, in its canonical form', () => {
    for (const [given, counted] of [
      ['BRK.B', 'BRK.B'],
      ['VOD.L', 'VOD.L'],
      ['7203.T', '7203.T'],
      ['novo-b.co', 'NOVO-B.CO'],
      ['ABCDEFG', 'ABCDEFG'],
    ])
      expect(toObservation(article({ ticker: given }), record(), 'd').ticker).toBe(counted);
  });

  it('labels an unlabelled record by its highest probability', () => {
    const unlabelled = (n: number, u: number, p: number) =>
      toObservation(
        article({ label: SentimentLabel.UNSPECIFIED, probNegative: n, probNeutral: u, probPositive: p }),
        record(),
        'd',
      ).label;
    expect(unlabelled(0.2, 0.3, 0.5)).toBe('positive');
    expect(unlabelled(0.2, 0.6, 0.2)).toBe('neutral');
    expect(unlabelled(0.5, 0.3, 0.2)).toBe('negative');
  });

  it('refuses what cannot be counted', () => {
    const bad = [
      article({ ticker: '', label: SentimentLabel.NEGATIVE }),
      article({ ticker: 'TWO WORDS' }),
      article({ ticker: 'A'.repeat(33) }),
      article({ probNegative: 1.5 }),
      article({ probPositive: Number.NaN }),
      article({ label: SentimentLabel.UNSPECIFIED, probNegative: 0, probNeutral: 0, probPositive: 0 }),
    ];
    for (const a of bad)
      expect(() => toObservation(a, record({ key: null }), 'd')).toThrow(InvalidScoredRecord);
  });
});
