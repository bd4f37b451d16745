-- Up Migration
-- The latest monitoring figures of each tenant's sentiment models (models.monitoring.v1: scoring's
-- prediction drift and unknown-word rate, the feature service's feedback disagreement), one row per
-- figure, for the dashboard's drift panel. A later window replaces an earlier one; a redelivered or
-- late event never goes back in time.
CREATE TABLE model_signals (
  tenant_id   text NOT NULL,
  model_name  text NOT NULL,
  signal      text NOT NULL,
  version     text NOT NULL,
  value       double precision NOT NULL,
  drifted     boolean NOT NULL,
  threshold   double precision NOT NULL,
  sample      integer NOT NULL,
  window_end  timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, model_name, signal)
);

-- Down Migration
DROP TABLE model_signals;
