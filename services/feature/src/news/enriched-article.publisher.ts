// Publishes enriched articles to news.enriched.v1 through the typed idempotent producer: key =
// article id, event-id header = the stored event id (stable across redeliveries), tenant header.
// A fetched batch can hold thousands of articles, and enriched records are two to three times the
// size of raw ones (text, tokens), so they go out in sends of bounded size: the broker refuses a
// partition's record batch above its message.max.bytes (1 MiB by default).
import { Topics } from '@mercato/contracts';
import { EventProducer } from '@mercato/kafka';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Injectable } from '@nestjs/common';
import type { ArticleFeatures } from './article-features';

/** Most bytes of records per send; even if every record lands in one partition it stays far below 1 MiB. */
export const SEND_BUDGET_BYTES = 512 * 1024;

/** An upper estimate of a record's encoded size: its strings plus per-field framing. */
export function estimatedSize(a: ArticleFeatures): number {
  let bytes = 256 + a.articleId.length * 2 + a.eventId.length;
  for (const s of [a.tenantId, a.source, a.headline, a.normalizedText, a.contentHash, a.language])
    bytes += Buffer.byteLength(s) + 4;
  for (const t of a.tokens) bytes += Buffer.byteLength(t) + 2;
  for (const t of a.tickers) bytes += t.length + 2;
  return bytes;
}

/** Consecutive chunks of at most `budget` estimated bytes (a larger record travels alone). */
export function chunkBySize<T>(items: readonly T[], size: (item: T) => number, budget: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && bytes + n > budget) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

@Injectable()
export class EnrichedArticlePublisher {
  constructor(private readonly producer: EventProducer) {}

  async publish(articles: readonly ArticleFeatures[]): Promise<void> {
    for (const chunk of chunkBySize(articles, estimatedSize, SEND_BUDGET_BYTES)) {
      await this.producer.send(
        Topics.newsEnriched,
        chunk.map((a) => ({
          key: a.articleId,
          eventId: a.eventId,
          tenantId: a.tenantId,
          value: {
            tenantId: a.tenantId,
            articleId: a.articleId,
            source: a.source,
            publishedAt: timestampFromDate(a.publishedAt),
            headline: a.headline,
            normalizedText: a.normalizedText,
            tokens: a.tokens,
            tokenizerVersion: a.tokenizerVersion,
            tickers: a.tickers,
            language: a.language,
            contentHash: a.contentHash,
            receivedAt: timestampFromDate(a.receivedAt),
          },
        })),
      );
    }
  }
}
