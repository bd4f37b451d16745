-- Up Migration
-- Experiment runs: every training run (a job through the stack, a triggered retrain, an imported
-- offline run) with its parameters, metric series, final evaluation and outcome, per tenant. A job's
-- attempt is one run; a request run again after a crash is a new run, and the interrupted one is kept
-- (failed) with its curves. Metric values are float8 so NaN and ±Infinity are stored as they came.
CREATE TABLE runs (
  tenant_id          text NOT NULL,
  run_id             text NOT NULL,
  model_name         text NOT NULL,
  kind               text NOT NULL CHECK (kind IN ('sentiment', 'recommender')),
  architecture       text,
  source             text NOT NULL CHECK (source IN ('job', 'retrain', 'offline')),
  status             text NOT NULL CHECK (status IN ('running', 'finished', 'failed', 'cancelled')),
  request_id         text,
  requested_by       text NOT NULL DEFAULT '',
  params             jsonb NOT NULL DEFAULT '{}',
  tags               text[] NOT NULL DEFAULT '{}',
  registered_version integer,
  error              text,
  started_at         timestamptz NOT NULL DEFAULT now(),
  finished_at        timestamptz,
  PRIMARY KEY (tenant_id, run_id)
);
CREATE INDEX runs_tenant_started ON runs (tenant_id, started_at DESC);
CREATE INDEX runs_tenant_model_started ON runs (tenant_id, model_name, started_at DESC);
CREATE INDEX runs_tags ON runs USING gin (tags);
CREATE INDEX runs_request ON runs (request_id) WHERE request_id IS NOT NULL;

-- Per-epoch and per-step series: one row per (series, step); a step reported again replaces its value.
CREATE TABLE run_metrics (
  tenant_id   text NOT NULL,
  run_id      text NOT NULL,
  name        text NOT NULL,
  step        integer NOT NULL,
  value       double precision NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id, name, step),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id) ON DELETE CASCADE
);

-- The final evaluation on the held-out data.
CREATE TABLE run_results (
  tenant_id text NOT NULL,
  run_id    text NOT NULL,
  name      text NOT NULL,
  value     double precision NOT NULL,
  PRIMARY KEY (tenant_id, run_id, name),
  FOREIGN KEY (tenant_id, run_id) REFERENCES runs (tenant_id, run_id) ON DELETE CASCADE
);

-- The run of a job's current attempt, for the jobs API.
ALTER TABLE jobs ADD COLUMN run_id text;

-- Down Migration
ALTER TABLE jobs DROP COLUMN run_id;
DROP TABLE run_results;
DROP TABLE run_metrics;
DROP TABLE runs;
