-- Up Migration
-- Dedupe keys of published articles. A key counts as seen only once its article was published
-- (it is inserted in the transaction that commits after the publish was acknowledged) and only for
-- INGEST_DEDUPE_WINDOW_H hours; a periodic cleanup deletes older keys. No user ids are stored here.
CREATE TABLE article_keys (
  tenant_id    text NOT NULL,
  source       text NOT NULL,
  article_id   text NOT NULL,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, source, article_id)
);
CREATE INDEX article_keys_seen_at ON article_keys (seen_at);

CREATE TABLE content_keys (
  tenant_id    text NOT NULL,
  content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, content_hash)
);
CREATE INDEX content_keys_seen_at ON content_keys (seen_at);

-- Down Migration
DROP TABLE content_keys;
DROP TABLE article_keys;
