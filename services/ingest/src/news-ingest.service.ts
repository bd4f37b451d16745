// POST /v1/news logic: validate each article, drop duplicates (same source and id, or same content,
// within the dedupe window, including repeats inside the batch), and publish the rest to news.raw.v1
// before answering. The dedupe keys commit only after the publish was acknowledged; if it fails the
// whole batch is refused with 503 and nothing of it counts as seen, so the client's retry goes through.
import { Topics, type NewsArticleSchema } from '@mercato/contracts';
import { SERVICE_LOGGER } from '@mercato/runtime';
import type { Logger } from '@mercato/telemetry';
import { Inject, Injectable } from '@nestjs/common';
import { summarize, type BatchResult, type RecordResult } from './batch-result';
import { contentHash } from './content-hash';
import { DedupeKeyRepository, idKey, type ArticleKey } from './dedupe-key.repository';
import { batchNotStored } from './http-errors';
import { INGEST_SETTINGS, type IngestSettings } from './ingest.config';
import { newsArticleSchema, type NewsArticleInput } from './news-article.dto';
import { type OutgoingRecord, uuidV8 } from '@mercato/kafka';
import { RawEventPublisher } from './raw-event.publisher';
import { echoId, instantFromDate, validateRecord } from './record-validation';

interface Candidate {
  index: number;
  article: NewsArticleInput;
  key: ArticleKey;
}

/** The event id of an article: the same (tenant, source, id) always gets the same one. */
export const articleEventId = (tenantId: string, source: string, id: string): string =>
  uuidV8('news.raw.v1', [tenantId, source, id]);

@Injectable()
export class NewsIngestService {
  private readonly schema: ReturnType<typeof newsArticleSchema>;

  constructor(
    private readonly dedupe: DedupeKeyRepository,
    private readonly publisher: RawEventPublisher,
    @Inject(INGEST_SETTINGS) private readonly settings: IngestSettings,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {
    this.schema = newsArticleSchema({
      maxBodyChars: settings.maxBodyChars,
      maxFutureSkewS: settings.maxFutureSkewS,
      now: () => new Date(),
    });
  }

  /** Records are stamped with the caller's tenant (from the credential, never from the body). */
  async ingest(tenantId: string, records: readonly unknown[]): Promise<BatchResult> {
    const results: RecordResult[] = [];
    const candidates: Candidate[] = [];
    records.forEach((record, index) => {
      const v = validateRecord(this.schema, record);
      if (!v.ok) {
        results.push({ index, id: echoId(record, 'id'), status: 'rejected', errors: v.errors });
        return;
      }
      const article = v.value;
      candidates.push({
        index,
        article,
        key: {
          source: article.source,
          articleId: article.id,
          contentHash: contentHash(article.headline, article.body),
        },
      });
    });
    if (candidates.length > 0) results.push(...(await this.publishNew(tenantId, candidates)));
    return summarize('news', results);
  }

  private async publishNew(tenantId: string, candidates: Candidate[]): Promise<RecordResult[]> {
    const { dedupeWindowHours } = this.settings;
    try {
      return await this.dedupe.withClaimedKeys(
        tenantId,
        candidates.map((c) => c.key),
        dedupeWindowHours,
        async (claimed) => {
          const usedIds = new Set<string>();
          const usedHashes = new Set<string>();
          const accepted: Candidate[] = [];
          const results: RecordResult[] = [];
          for (const c of candidates) {
            const id = idKey(c.key.source, c.key.articleId);
            const reason =
              !claimed.ids.has(id) || usedIds.has(id)
                ? 'an article with this source and id was already received'
                : !claimed.contents.has(c.key.contentHash) || usedHashes.has(c.key.contentHash)
                  ? 'an article with the same headline and body was already received'
                  : undefined;
            if (reason) {
              results.push({ index: c.index, id: c.article.id, status: 'duplicate', reason });
              continue;
            }
            usedIds.add(id);
            usedHashes.add(c.key.contentHash);
            accepted.push(c);
            results.push({ index: c.index, id: c.article.id, status: 'accepted' });
          }
          const receivedAt = instantFromDate(new Date());
          await this.publisher.publish(
            Topics.newsRaw,
            accepted.map((c): OutgoingRecord<typeof NewsArticleSchema> => ({
              key: c.article.id,
              eventId: articleEventId(tenantId, c.article.source, c.article.id),
              tenantId,
              value: {
                tenantId,
                articleId: c.article.id,
                source: c.article.source,
                publishedAt: { seconds: c.article.published_at.seconds, nanos: c.article.published_at.nanos },
                headline: c.article.headline,
                body: c.article.body ?? '',
                tickers: c.article.tickers ?? [],
                language: c.article.language ?? '',
                receivedAt: { seconds: receivedAt.seconds, nanos: receivedAt.nanos },
                contentHash: c.key.contentHash,
              },
            })),
          );
          return { used: accepted.map((c) => c.key), result: results };
        },
      );
    } catch (err) {
      this.logger.error(
        { err: (err as Error).message, records: candidates.length },
        'news batch not stored: publish or dedupe failed; answered 503',
      );
      throw batchNotStored(
        'the batch could not be stored (broker or database unavailable); nothing of it was accepted: send it again',
      );
    }
  }
}
