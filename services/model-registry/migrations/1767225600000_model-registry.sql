-- Up Migration
-- The model registry's schema: models, their immutable versions with metrics and lineage, the
-- artifact files of each version (bytes kept in Postgres so a version and its files commit together),
-- aliases with their full history, and the transactional outbox of lifecycle events.

CREATE TABLE models (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text NOT NULL UNIQUE CONSTRAINT models_name_format CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
  kind           text NOT NULL CHECK (kind IN ('sentiment', 'recommender')),
  tenant_id      text NOT NULL DEFAULT 'default',
  description    text NOT NULL DEFAULT '',
  -- The highest version number handed out. Registrations bump it while holding this row's lock, in
  -- the transaction that inserts the version, so numbers are gapless and never collide.
  latest_version integer NOT NULL DEFAULT 0,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE versions (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_id        bigint NOT NULL REFERENCES models (id),
  version         integer NOT NULL CHECK (version > 0),
  status          text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'archived')),
  metrics         jsonb NOT NULL DEFAULT '{}',
  -- dataset hash, code version, backend, hyperparameters, parent version, training request id
  lineage         jsonb NOT NULL DEFAULT '{}',
  idempotency_key text NOT NULL,
  -- SHA-256 over the files' checksums, metrics and lineage: a retry with the same key must match it.
  request_digest  text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  archived_at     timestamptz,
  UNIQUE (model_id, version),
  UNIQUE (model_id, idempotency_key)
);

CREATE TABLE artifacts (
  version_id bigint NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
  path       text NOT NULL,
  role       text NOT NULL CHECK (role IN ('model', 'weights', 'manifest', 'other')),
  sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
  content    bytea NOT NULL,
  PRIMARY KEY (version_id, path)
);
-- Weight shards are float arrays that do not compress: store them out of line without trying.
ALTER TABLE artifacts ALTER COLUMN content SET STORAGE EXTERNAL;

CREATE TABLE aliases (
  model_id   bigint NOT NULL REFERENCES models (id),
  alias      text NOT NULL CHECK (alias IN ('production', 'staging', 'shadow')),
  version    integer NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_id, alias),
  FOREIGN KEY (model_id, version) REFERENCES versions (model_id, version)
);

CREATE TABLE alias_history (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  model_id     bigint NOT NULL REFERENCES models (id),
  alias        text NOT NULL CHECK (alias IN ('production', 'staging', 'shadow')),
  action       text NOT NULL CHECK (action IN ('promote', 'rollback')),
  from_version integer,
  to_version   integer NOT NULL,
  actor        text NOT NULL,
  reason       text NOT NULL DEFAULT '',
  -- The promotion policy's verdict when one applied.
  decision     jsonb,
  -- Set on a promotion once a rollback has undone it: rollbacks walk back through the promotions
  -- that are still in effect, like an undo stack.
  reverted_by  bigint REFERENCES alias_history (id),
  event_id     uuid NOT NULL,
  at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alias_history_by_alias ON alias_history (model_id, alias, id DESC);

-- Lifecycle events written in the same transaction as the change they describe, and relayed to
-- models.lifecycle.v1 after commit; a crash between commit and publish only delays the event.
CREATE TABLE outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id    uuid NOT NULL UNIQUE,
  message_key text NOT NULL,
  -- mercato.models.v1.ModelEvent in protobuf JSON form (readable with psql)
  payload     jsonb NOT NULL,
  tenant_id   text NOT NULL,
  traceparent text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  attempts    integer NOT NULL DEFAULT 0,
  last_error  text,
  sent_at     timestamptz
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- Down Migration
DROP TABLE outbox;
DROP TABLE alias_history;
DROP TABLE aliases;
DROP TABLE artifacts;
DROP TABLE versions;
DROP TABLE models;
