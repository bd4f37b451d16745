import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { NewsArticleSchema, type NewsArticle } from '@mercato/contracts';
import { NonRetriableError, type KafkaRecordInfo } from '@mercato/kafka';
import { tokenize } from '@mercato/ml';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { enrichArticle, validateArticle } from './article-features';
import { enrichedEventId } from './event-ids';
import { defaultTickerDictionary } from './ticker-dictionary';
import { TickerExtractor } from './ticker-extractor';

const extractor = new TickerExtractor(defaultTickerDictionary());

const record = (extra: Partial<KafkaRecordInfo> = {}): KafkaRecordInfo => ({
  topic: 'news.raw.v1',
  partition: 2,
  offset: '41',
  key: 'a-1',
  headers: {},
  eventId: '3f0c8a9e-1d2b-4c5d-8e7f-9a0b1c2d3e4f',
  tenantId: undefined,
  timestamp: Date.parse('2026-03-10T12:00:05Z'),
  attempt: 1,
  ...extra,
});

const article = (fields: MessageInitShape<typeof NewsArticleSchema> = {}): NewsArticle =>
  create(NewsArticleSchema, {
    tenantId: 'acme',
    articleId: 'a-1',
    source: 'newswire',
    publishedAt: timestampFromDate(new Date('2026-03-10T12:00:00Z')),
    receivedAt: timestampFromDate(new Date('2026-03-10T12:00:01Z')),
    headline: 'Ｔｅｓｌａ  shares slide',
    body: 'The company said deliveries   fell.\nAnalysts expect more from $NVDA.',
    tickers: ['tsla'],
    language: '',
    contentHash: 'abc123',
    ...fields,
  });

describe('validateArticle', () => {
  it('passes a complete article', () => {
    expect(() => validateArticle(article(), record())).not.toThrow();
  });

  it('rejects a missing article id or headline as non-retriable, naming the record', () => {
    for (const bad of [article({ articleId: '' }), article({ articleId: '  ' })]) {
      expect(() => validateArticle(bad, record())).toThrow(NonRetriableError);
      expect(() => validateArticle(bad, record())).toThrow(
        /news\.raw\.v1\/2@41 \(event 3f0c8a9e-.*\): article_id is required/,
      );
    }
    expect(() => validateArticle(article({ headline: ' \n ' }), record())).toThrow(/headline is required/);
    expect(() => validateArticle(article({ articleId: 'a\u0000b' }), record())).toThrow(/control characters/);
    expect(() => validateArticle(article({ articleId: 'x'.repeat(300) }), record())).toThrow(/at most 256/);
  });
});

describe('enrichArticle', () => {
  it('builds every field from the raw article', () => {
    const f = enrichArticle(article(), record(), extractor, 'default');
    const text = 'Tesla shares slide\nThe company said deliveries fell. Analysts expect more from $NVDA.';
    expect(f).toEqual({
      tenantId: 'acme',
      articleId: 'a-1',
      eventId: enrichedEventId('3f0c8a9e-1d2b-4c5d-8e7f-9a0b1c2d3e4f'),
      sourceEventId: '3f0c8a9e-1d2b-4c5d-8e7f-9a0b1c2d3e4f',
      source: 'newswire',
      publishedAt: new Date('2026-03-10T12:00:00Z'),
      receivedAt: new Date('2026-03-10T12:00:01Z'),
      headline: 'Ｔｅｓｌａ  shares slide',
      normalizedText: text,
      tokens: tokenize(text),
      tokenizerVersion: 'words-v1',
      tickers: ['TSLA', 'NVDA'],
      language: 'en',
      contentHash: 'abc123',
    });
  });

  it('takes the tenant from the article, else the record header, else the default', () => {
    expect(
      enrichArticle(article({ tenantId: '' }), record({ tenantId: 'beta' }), extractor, 'd').tenantId,
    ).toBe('beta');
    expect(enrichArticle(article({ tenantId: '' }), record(), extractor, 'default').tenantId).toBe('default');
  });

  it('falls back for missing or absurd times: published → received → broker time', () => {
    const noPublished = enrichArticle(article({ publishedAt: undefined }), record(), extractor, 'd');
    expect(noPublished.publishedAt).toEqual(new Date('2026-03-10T12:00:01Z'));
    const none = enrichArticle(
      article({ publishedAt: undefined, receivedAt: undefined }),
      record(),
      extractor,
      'd',
    );
    expect(none.publishedAt).toEqual(new Date('2026-03-10T12:00:05Z'));
    expect(none.receivedAt).toEqual(new Date('2026-03-10T12:00:05Z'));
    const absurd = enrichArticle(
      article({ publishedAt: { seconds: 10n ** 14n, nanos: 0 } }),
      record(),
      extractor,
      'd',
    );
    expect(absurd.publishedAt).toEqual(new Date('2026-03-10T12:00:01Z'));
  });

  it('computes the content hash as ingest does when the article carries none', () => {
    const f = enrichArticle(article({ contentHash: '' }), record(), extractor, 'd');
    const key = 'tesla shares slide the company said deliveries fell. analysts expect more from $nvda.';
    expect(f.contentHash).toBe(createHash('sha256').update(key).digest('hex'));
  });

  it('keeps a given language, detects a missing one, and strips NUL from carried text', () => {
    expect(enrichArticle(article({ language: 'fr' }), record(), extractor, 'd').language).toBe('fr');
    const german = article({
      headline: 'Siemens\u0000 senkt die Prognose',
      body: 'Die Aktie ist nach der Veröffentlichung der Zahlen gefallen, und auch der Umsatz sinkt.',
      tickers: [],
    });
    const f = enrichArticle(german, record(), extractor, 'd');
    expect(f.language).toBe('de');
    expect(f.headline).toBe('Siemens senkt die Prognose');
    expect(f.tickers).toEqual([]);
  });
});
