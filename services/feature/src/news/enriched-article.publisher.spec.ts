import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { EnrichedArticleSchema } from '@mercato/contracts';
import { tokenize } from '@mercato/ml';
import { describe, expect, it } from 'vitest';
import type { ArticleFeatures } from './article-features';
import { chunkBySize, estimatedSize } from './enriched-article.publisher';

const features = (text: string): ArticleFeatures => ({
  tenantId: 'default',
  articleId: 'article-1',
  eventId: '6b0f4c52-2f0e-5d4e-9a51-93c6a1e7d5b8',
  sourceEventId: 'e1',
  source: 'newswire',
  publishedAt: new Date('2026-03-10T12:00:00Z'),
  receivedAt: new Date('2026-03-10T12:00:01Z'),
  headline: text.slice(0, 80),
  normalizedText: text,
  tokens: tokenize(text),
  tokenizerVersion: 'words-v1',
  tickers: ['TSLA', 'BRK.B'],
  language: 'en',
  contentHash: 'f'.repeat(64),
});

describe('estimatedSize', () => {
  it('is at least the encoded size of the record, for short, long and multi-byte texts', () => {
    for (const text of [
      'Tesla recalls cars',
      'Die Aktie fällt — ümläüte '.repeat(400),
      '株価が下落 '.repeat(2000),
    ]) {
      const f = features(text);
      const encoded = toBinary(
        EnrichedArticleSchema,
        create(EnrichedArticleSchema, {
          ...f,
          publishedAt: timestampFromDate(f.publishedAt),
          receivedAt: timestampFromDate(f.receivedAt),
        }),
      ).length;
      expect(estimatedSize(f)).toBeGreaterThanOrEqual(encoded);
      expect(estimatedSize(f)).toBeLessThan(encoded * 1.5 + 512);
    }
  });
});

describe('chunkBySize', () => {
  it('keeps order, fills chunks up to the budget, and sends an oversized item alone', () => {
    expect(chunkBySize([3, 3, 3, 10, 1, 1], (n) => n, 6)).toEqual([[3, 3], [3], [10], [1, 1]]);
    expect(chunkBySize([], (n: number) => n, 6)).toEqual([]);
  });
});
