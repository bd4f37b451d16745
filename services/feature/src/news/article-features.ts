// The enriched form of one news article, as the offline store keeps it and news.enriched.v1 carries
// it, and how it is built from a raw NewsArticle: validation (an article without id or headline is
// dead-lettered), normalized text, tokens, tickers, language, and the deterministic event id.
import { type NewsArticle } from '@mercato/contracts';
import { type KafkaRecordInfo, NonRetriableError } from '@mercato/kafka';
import { tokenize } from '@mercato/ml';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { enrichedEventId } from './event-ids';
import { articleLanguage } from './language-detector';
import { articleText, contentHash, withoutNul } from './text-normalization';
import type { TickerExtractor } from './ticker-extractor';
import { TOKENIZER_VERSION } from './tokenizer-version';

export interface ArticleFeatures {
  tenantId: string;
  articleId: string;
  /** The enriched record's event id (derived from sourceEventId). */
  eventId: string;
  /** The raw record's event id. */
  sourceEventId: string;
  source: string;
  publishedAt: Date;
  receivedAt: Date;
  headline: string;
  normalizedText: string;
  tokens: string[];
  tokenizerVersion: string;
  tickers: string[];
  language: string;
  contentHash: string;
}

const MAX_ID_LENGTH = 256;

/** Throws NonRetriableError (→ dead letter) for a record no retry can fix. */
export function validateArticle(article: NewsArticle, record: KafkaRecordInfo): void {
  const where = `${record.topic}/${record.partition}@${record.offset} (event ${record.eventId})`;
  const id = article.articleId.trim();
  if (!id) throw new NonRetriableError(`${where}: article_id is required`);
  if (id.length > MAX_ID_LENGTH || /\p{Cc}/u.test(id))
    throw new NonRetriableError(
      `${where}: article_id must be at most ${MAX_ID_LENGTH} characters without control characters`,
    );
  if (!article.headline.trim()) throw new NonRetriableError(`${where}: headline is required`);
}

/** A timestamp Postgres and every consumer can hold; an unset or absurd one counts as absent. */
function usableDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  const date = timestampDate(ts);
  const year = date.getUTCFullYear();
  return Number.isFinite(date.getTime()) && year >= 1900 && year <= 9999 ? date : undefined;
}

/**
 * Builds the features of a valid article. Times fall back so every enriched article has one to
 * window on: published_at → received_at → the raw record's broker timestamp, and received_at → the
 * broker timestamp (a time counts when set and between the years 1900 and 9999). An article
 * without a content hash gets one computed as ingest computes it.
 */
export function enrichArticle(
  article: NewsArticle,
  record: KafkaRecordInfo,
  tickers: TickerExtractor,
  defaultTenant: string,
): ArticleFeatures {
  const text = articleText(article.headline, article.body);
  const brokerTime = new Date(record.timestamp);
  const receivedAt = usableDate(article.receivedAt) ?? brokerTime;
  const publishedAt = usableDate(article.publishedAt) ?? receivedAt;
  return {
    tenantId: withoutNul(article.tenantId.trim() || record.tenantId?.trim() || defaultTenant),
    articleId: article.articleId.trim(),
    eventId: enrichedEventId(record.eventId),
    sourceEventId: record.eventId,
    source: withoutNul(article.source),
    publishedAt,
    receivedAt,
    headline: withoutNul(article.headline),
    normalizedText: text,
    tokens: tokenize(text),
    tokenizerVersion: TOKENIZER_VERSION,
    tickers: tickers.extract(text, article.tickers),
    language: articleLanguage(article.language, text),
    contentHash: withoutNul(article.contentHash) || contentHash(article.headline, article.body),
  };
}
