-- Up Migration
-- The surge test (src/surge.ts) replaces the z-score of a window's share against a per-size EWMA:
-- each ticker has one detector — its baseline of the scoring version's labels, its activity rate
-- and the evidence runs of both directions — and each tenant a market prior learned from its
-- tickers. Window counts are untouched; what windows held of the old test (z-scores, the share
-- baseline) is dropped.
DROP TABLE baselines;

CREATE TABLE ticker_detectors (
  tenant_id  text NOT NULL,
  ticker     text NOT NULL,
  -- surge.ts DetectorState: { baseline: { version, counts, articles, versions }, activity, at, runs }.
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticker)
);

-- The tenant's market prior (baseline.ts computeMarketPrior), recomputed from ticker_detectors.
CREATE TABLE market_priors (
  tenant_id     text PRIMARY KEY,
  mean          double precision[] NOT NULL,
  concentration double precision NOT NULL,
  tickers       integer NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Per window and direction: the strongest evidence seen while it was open, the low threshold, and
-- the baseline band of the direction's share ({ evidence, threshold, expected, low, high, source }).
ALTER TABLE windows
  DROP COLUMN negative_z,
  DROP COLUMN positive_z,
  DROP COLUMN baseline,
  ADD COLUMN negative_test jsonb,
  ADD COLUMN positive_test jsonb;

-- A tenant's own surge rules, every change a new version; the latest applies.
CREATE TABLE alert_rules (
  tenant_id  text NOT NULL,
  version    integer NOT NULL CHECK (version > 0),
  document   jsonb NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, version)
);

-- Alerts say why they fired: the test's figures, the baseline band, the versions compared and the
-- rules version. Alerts raised before this migration keep null there.
ALTER TABLE alerts DROP CONSTRAINT alerts_baseline_source_check;
UPDATE alerts SET baseline_source = 'default' WHERE baseline_source = 'prior';
ALTER TABLE alerts
  ADD CONSTRAINT alerts_baseline_source_check CHECK (baseline_source IN ('default', 'market', 'history')),
  ADD COLUMN baseline_band jsonb,
  ADD COLUMN test jsonb,
  ADD COLUMN models jsonb,
  ADD COLUMN rules_version integer;

-- Down Migration
ALTER TABLE alerts
  DROP COLUMN rules_version,
  DROP COLUMN models,
  DROP COLUMN test,
  DROP COLUMN baseline_band,
  DROP CONSTRAINT alerts_baseline_source_check;
UPDATE alerts SET baseline_source = 'prior' WHERE baseline_source <> 'history';
ALTER TABLE alerts ADD CONSTRAINT alerts_baseline_source_check CHECK (baseline_source IN ('prior', 'history'));
DROP TABLE alert_rules;
ALTER TABLE windows
  DROP COLUMN positive_test,
  DROP COLUMN negative_test,
  ADD COLUMN negative_z double precision,
  ADD COLUMN positive_z double precision,
  ADD COLUMN baseline jsonb;
DROP TABLE market_priors;
DROP TABLE ticker_detectors;
CREATE TABLE baselines (
  tenant_id         text NOT NULL,
  ticker            text NOT NULL,
  window_size       text NOT NULL,
  negative_mean     double precision NOT NULL,
  negative_variance double precision NOT NULL,
  positive_mean     double precision NOT NULL,
  positive_variance double precision NOT NULL,
  closed_windows    integer NOT NULL DEFAULT 0,
  last_window_start timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticker, window_size)
);
