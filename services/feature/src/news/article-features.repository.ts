// The offline store of enriched articles (schema feature): append a batch idempotently in one
// statement, read back what is stored. See migrations/ for the table design.
import { Database } from '@mercato/db';
import { Injectable } from '@nestjs/common';
import type { ArticleFeatures } from './article-features';
import { ArticlePartitionsRepository } from './article-partitions.repository';

export interface StoredArticleFeatures extends ArticleFeatures {
  enrichedAt: Date;
}

interface Row {
  tenant_id: string;
  article_id: string;
  published_at: Date;
  event_id: string;
  source_event_id: string;
  source: string;
  received_at: Date;
  headline: string;
  normalized_text: string;
  tokens: string[];
  tokenizer_version: string;
  tickers: string[];
  language: string;
  content_hash: string;
  enriched_at: Date;
}

const fromRow = (r: Row): StoredArticleFeatures => ({
  tenantId: r.tenant_id,
  articleId: r.article_id,
  publishedAt: r.published_at,
  eventId: r.event_id,
  sourceEventId: r.source_event_id,
  source: r.source,
  receivedAt: r.received_at,
  headline: r.headline,
  normalizedText: r.normalized_text,
  tokens: r.tokens,
  tokenizerVersion: r.tokenizer_version,
  tickers: r.tickers,
  language: r.language,
  contentHash: r.content_hash,
  enrichedAt: r.enriched_at,
});

const toRow = (f: ArticleFeatures): Omit<Row, 'enriched_at'> => ({
  tenant_id: f.tenantId,
  article_id: f.articleId,
  published_at: f.publishedAt,
  event_id: f.eventId,
  source_event_id: f.sourceEventId,
  source: f.source,
  received_at: f.receivedAt,
  headline: f.headline,
  normalized_text: f.normalizedText,
  tokens: f.tokens,
  tokenizer_version: f.tokenizerVersion,
  tickers: f.tickers,
  language: f.language,
  content_hash: f.contentHash,
});

const COLUMNS =
  'tenant_id, article_id, published_at, event_id, source_event_id, source, received_at, headline, ' +
  'normalized_text, tokens, tokenizer_version, tickers, language, content_hash';

/**
 * One statement: claim each (tenant_id, article_id) in article_feature_keys, and append to the log
 * exactly the articles it claimed. The batch travels as one jsonb parameter.
 */
const APPEND = `
  WITH input AS (
    SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(
      tenant_id text, article_id text, published_at timestamptz, event_id text, source_event_id text,
      source text, received_at timestamptz, headline text, normalized_text text, tokens text[],
      tokenizer_version text, tickers text[], language text, content_hash text)
  ), claimed AS (
    INSERT INTO article_feature_keys (tenant_id, article_id, published_at, event_id)
    SELECT tenant_id, article_id, published_at, event_id FROM input
    ON CONFLICT (tenant_id, article_id) DO NOTHING
    RETURNING tenant_id, article_id
  )
  INSERT INTO article_features (${COLUMNS})
  SELECT ${COLUMNS.split(', ')
    .map((c) => `i.${c}`)
    .join(', ')}
  FROM input i JOIN claimed c USING (tenant_id, article_id)
  RETURNING *`;

const SELECT_STORED = `
  SELECT f.* FROM article_feature_keys k
  JOIN article_features f
    ON f.tenant_id = k.tenant_id AND f.article_id = k.article_id AND f.published_at = k.published_at
  WHERE (k.tenant_id, k.article_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`;

const keyOf = (f: { tenantId: string; articleId: string }): string => `${f.tenantId}\u0000${f.articleId}`;

@Injectable()
export class ArticleFeaturesRepository {
  constructor(
    private readonly db: Database,
    private readonly partitions: ArticlePartitionsRepository,
  ) {}

  /**
   * Appends the articles not stored yet (one per tenant and article id; the first of the batch
   * wins) and returns, for every article of the batch, what the store holds for it now, marking
   * which ones this call appended. An article stored before keeps its stored features and event
   * id, so a redelivery republishes exactly what was published the first time. (An article whose
   * key is stored but whose row is gone, its partition dropped, comes back as given.)
   */
  async append(
    batch: readonly ArticleFeatures[],
  ): Promise<{ features: ArticleFeatures; appended: boolean }[]> {
    const unique = new Map<string, ArticleFeatures>();
    for (const f of batch) if (!unique.has(keyOf(f))) unique.set(keyOf(f), f);
    const input = [...unique.values()];
    if (input.length === 0) return [];
    await this.partitions.ensureFor(input.map((f) => f.publishedAt));
    const appended = (await this.db.query<Row>(APPEND, [JSON.stringify(input.map(toRow))])).map(fromRow);
    const result = new Map<string, { features: ArticleFeatures; appended: boolean }>(
      appended.map((f) => [keyOf(f), { features: f, appended: true }]),
    );
    const missing = input.filter((f) => !result.has(keyOf(f)));
    if (missing.length > 0) {
      for (const f of await this.find(missing)) result.set(keyOf(f), { features: f, appended: false });
    }
    return input.map((f) => result.get(keyOf(f)) ?? { features: f, appended: false });
  }

  async find(keys: readonly { tenantId: string; articleId: string }[]): Promise<StoredArticleFeatures[]> {
    const rows = await this.db.query<Row>(SELECT_STORED, [
      keys.map((k) => k.tenantId),
      keys.map((k) => k.articleId),
    ]);
    return rows.map(fromRow);
  }
}
