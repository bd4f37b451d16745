-- Up Migration
-- Retrains decided on drift (models.monitoring.v1): at most one per model and production version, so
-- a challenger that loses does not make every later drifted window retrain the same version again;
-- a new production version can drift and be retrained in its turn.
CREATE TABLE drift_retrains (
  tenant_id   text NOT NULL,
  model_name  text NOT NULL,
  version     integer NOT NULL,
  request_id  text NOT NULL,
  figures     jsonb NOT NULL,
  decided_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, model_name, version)
);

-- Down Migration
DROP TABLE drift_retrains;
