-- Up Migration
-- Retraining triggers for per-tenant recommenders. Every interaction is counted once, whatever the
-- redeliveries: its id is remembered (pruned after a few days, far beyond any redelivery window).
CREATE TABLE retrain_seen_interactions (
  tenant_id      text NOT NULL,
  interaction_id text NOT NULL,
  seen_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, interaction_id)
);
CREATE INDEX retrain_seen_interactions_seen_at ON retrain_seen_interactions (seen_at);

-- Per tenant: interactions since the last retrain request, and the requests decided (generation)
-- versus published. A request is decided and its counter reset in one statement; it is published
-- afterwards with a request id derived from the generation, so a crash in between republishes the
-- very same request, which the training consumer dedupes by request id.
CREATE TABLE retrain_counters (
  tenant_id            text PRIMARY KEY,
  pending              bigint NOT NULL DEFAULT 0,
  window_started_at    timestamptz NOT NULL DEFAULT now(),
  generation           integer NOT NULL DEFAULT 0,
  published_generation integer NOT NULL DEFAULT 0,
  requested_as_of      timestamptz
);

-- Down Migration
DROP TABLE retrain_counters;
DROP TABLE retrain_seen_interactions;
