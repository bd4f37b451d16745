-- Up Migration
-- The recommendation feature store. Every table carries tenant_id and every key starts with it.
--
-- Offline store (append-only, the source of training datasets):
--   interaction_log       one row per interaction, idempotent by (tenant_id, interaction_id): a
--                         redelivered record inserts nothing, and the online aggregates below are
--                         updated only from rows this insert actually added, in the same transaction.
--                         Not partitioned by day (unlike article_features): the dataset export reads
--                         it in (occurred_at, interaction_id) order across all days, and user
--                         deletion must reach every row of a user; one index serves each.
--   catalog_item_versions every version of every catalog item, idempotent by (tenant_id, item_id,
--                         updated_at).
-- Online store (current state, read by the API and published on features.user.v1):
--   user_features         per user: recent distinct items (bounded, most recent first), purchased
--                         items, interaction count.
--   item_popularity       per item: two exponentially decayed scores that share one reference time;
--                         a score s at reference r is worth s * 2^(-(t - r) / half_life) at time t.
--   item_features         the current version of each catalog item with its normalized text tokens.
--   user_deletions        users deleted through the API, and when: interactions of theirs received
--                         before that are never stored again (a topic replay cannot bring them back).
CREATE TABLE interaction_log (
  tenant_id       text NOT NULL,
  interaction_id  text NOT NULL,
  user_id         text NOT NULL,
  item_id         text NOT NULL,
  type            text NOT NULL CHECK (type IN ('view', 'click', 'cart', 'purchase', 'rating')),
  value           double precision NOT NULL,
  occurred_at     timestamptz NOT NULL,
  -- when ingest accepted the interaction (the broker timestamp when the record has none): the
  -- dataset export's point-in-time filter
  received_at     timestamptz NOT NULL,
  event_id        text NOT NULL,
  stored_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, interaction_id)
);
CREATE INDEX interaction_log_export ON interaction_log (tenant_id, occurred_at, interaction_id);
CREATE INDEX interaction_log_user ON interaction_log (tenant_id, user_id);

CREATE TABLE catalog_item_versions (
  tenant_id    text NOT NULL,
  item_id      text NOT NULL,
  updated_at   timestamptz NOT NULL,
  title        text NOT NULL,
  description  text NOT NULL,
  categories   text[] NOT NULL,
  price        double precision NOT NULL,
  available    boolean NOT NULL,
  -- the broker timestamp of the record: when this version became known
  received_at  timestamptz NOT NULL,
  event_id     text NOT NULL,
  PRIMARY KEY (tenant_id, item_id, updated_at)
);

CREATE TABLE user_features (
  tenant_id           text NOT NULL,
  user_id             text NOT NULL,
  -- [{ "item_id", "type", "at" (ISO) }], distinct items, most recent first
  recent_items        jsonb NOT NULL,
  purchased_item_ids  text[] NOT NULL,
  interaction_count   bigint NOT NULL,
  -- a new row after a deletion gets a new created_at, so its event ids never repeat the old ones
  created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE item_popularity (
  tenant_id       text NOT NULL,
  item_id         text NOT NULL,
  popular_score   double precision NOT NULL,
  trending_score  double precision NOT NULL,
  reference_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, item_id)
);

CREATE TABLE item_features (
  tenant_id           text NOT NULL,
  item_id             text NOT NULL,
  updated_at          timestamptz NOT NULL,
  title               text NOT NULL,
  description         text NOT NULL,
  title_tokens        text[] NOT NULL,
  description_tokens  text[] NOT NULL,
  categories          text[] NOT NULL,
  price               double precision NOT NULL,
  available           boolean NOT NULL,
  PRIMARY KEY (tenant_id, item_id)
);
CREATE INDEX item_features_categories ON item_features USING gin (categories);

CREATE TABLE user_deletions (
  tenant_id   text NOT NULL,
  user_id     text NOT NULL,
  deleted_at  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

-- Down Migration
DROP TABLE user_deletions;
DROP TABLE item_features;
DROP TABLE item_popularity;
DROP TABLE user_features;
DROP TABLE catalog_item_versions;
DROP TABLE interaction_log;
