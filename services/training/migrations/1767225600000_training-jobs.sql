-- Up Migration
-- One row per training request (its id is the Kafka idempotency key): a redelivered request that
-- already succeeded is skipped; one that was running when the process died is run again.
CREATE TABLE jobs (
  request_id    text PRIMARY KEY,
  tenant_id     text NOT NULL DEFAULT 'default',
  model_name    text NOT NULL,
  kind          text NOT NULL,
  dataset_ref   text NOT NULL,
  hyperparameters jsonb NOT NULL DEFAULT '{}',
  status        text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  attempts      integer NOT NULL DEFAULT 1,
  progress      jsonb NOT NULL DEFAULT '[]',
  metrics       jsonb,
  champion_metrics jsonb,
  version       integer,
  promotion     jsonb,
  error         text,
  requested_by  text NOT NULL DEFAULT '',
  started_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE INDEX jobs_model_started ON jobs (model_name, started_at DESC);

-- Down Migration
DROP TABLE jobs;
