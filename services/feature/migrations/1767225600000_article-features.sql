-- Up Migration
-- The offline store of enriched news articles: an append-only log for retraining, partitioned by
-- day on published_at (UTC). Daily partitions are created on demand by the service as articles
-- arrive (article-partitions.repository.ts); the default partition holds articles dated outside the
-- window it creates partitions for, and rows of a day are moved out of it when that day's
-- partition is created.
--
-- Idempotency is per (tenant_id, article_id). A unique key on a partitioned table must contain the
-- partition column, so the key lives in article_feature_keys, claimed in the same statement that
-- appends to the log: a redelivered article claims nothing and appends nothing. The key row also
-- records where the article's row is (published_at) and the event id it was published with.
CREATE TABLE article_feature_keys (
  tenant_id     text NOT NULL,
  article_id    text NOT NULL,
  published_at  timestamptz NOT NULL,
  event_id      text NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, article_id)
);

CREATE TABLE article_features (
  tenant_id          text NOT NULL,
  article_id         text NOT NULL,
  published_at       timestamptz NOT NULL,
  -- event id of the enriched record on news.enriched.v1, and of the raw record it was built from
  event_id           text NOT NULL,
  source_event_id    text NOT NULL,
  source             text NOT NULL,
  received_at        timestamptz NOT NULL,
  headline           text NOT NULL,
  normalized_text    text NOT NULL,
  tokens             text[] NOT NULL,
  tokenizer_version  text NOT NULL,
  tickers            text[] NOT NULL,
  language           text NOT NULL,
  content_hash       text NOT NULL,
  enriched_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, article_id, published_at)
) PARTITION BY RANGE (published_at);

CREATE TABLE article_features_default PARTITION OF article_features DEFAULT;

-- Down Migration
DROP TABLE article_features;
DROP TABLE article_feature_keys;
