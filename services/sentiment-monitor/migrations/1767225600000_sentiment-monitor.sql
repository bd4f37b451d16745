-- Up Migration
-- Exactly-once counting: every scored record's event id is claimed here in the same transaction that
-- updates the windows, so a redelivered record finds its id taken and changes nothing.
CREATE TABLE processed_events (
  event_id     text PRIMARY KEY,
  processed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX processed_events_processed_at ON processed_events (processed_at);

-- The watermark of each ticker: the largest event time (published_at) seen so far.
CREATE TABLE ticker_watermarks (
  tenant_id  text NOT NULL,
  ticker     text NOT NULL,
  -- Null until the ticker's first on-time record.
  watermark  timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticker)
);

-- Event-time tumbling windows per ticker and window size. A window is closed once the ticker's
-- watermark passes its end plus the allowed lateness; it never changes after that.
CREATE TABLE windows (
  tenant_id         text NOT NULL,
  ticker            text NOT NULL,
  window_size       text NOT NULL,
  window_start      timestamptz NOT NULL,
  window_end        timestamptz NOT NULL,
  negative          integer NOT NULL DEFAULT 0,
  neutral           integer NOT NULL DEFAULT 0,
  positive          integer NOT NULL DEFAULT 0,
  volume            integer NOT NULL DEFAULT 0,
  sum_prob_negative double precision NOT NULL DEFAULT 0,
  sum_prob_neutral  double precision NOT NULL DEFAULT 0,
  sum_prob_positive double precision NOT NULL DEFAULT 0,
  model_versions    text[] NOT NULL DEFAULT '{}',
  -- The evidence: the most confident negative / positive headlines of the window (top N).
  top_negative      jsonb NOT NULL DEFAULT '[]',
  top_positive      jsonb NOT NULL DEFAULT '[]',
  -- The latest surge evaluation: z of each direction and the baseline it was measured against.
  negative_z        double precision,
  positive_z        double precision,
  baseline          jsonb,
  closed            boolean NOT NULL DEFAULT false,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticker, window_size, window_start),
  CHECK (volume = negative + neutral + positive)
);
CREATE INDEX windows_open ON windows (tenant_id, ticker) WHERE NOT closed;
CREATE INDEX windows_latest ON windows (tenant_id, window_size, ticker, window_start DESC);

-- The per-ticker baseline of each direction's share: EWMA mean and variance over closed windows.
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

-- Records not counted in any window: later than the allowed lateness behind the ticker's
-- watermark, or published implausibly far in the future.
CREATE TABLE late_records (
  event_id      text PRIMARY KEY,
  tenant_id     text NOT NULL,
  ticker        text NOT NULL,
  article_id    text NOT NULL,
  reason        text NOT NULL CHECK (reason IN ('late', 'future')),
  published_at  timestamptz NOT NULL,
  watermark     timestamptz,
  label         text NOT NULL,
  prob_negative double precision NOT NULL,
  prob_neutral  double precision NOT NULL,
  prob_positive double precision NOT NULL,
  model_version text NOT NULL,
  headline      text NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX late_records_ticker ON late_records (tenant_id, ticker, received_at DESC);

-- Raised alerts. seq orders the live stream (SSE ids); inserts take a transaction-level advisory
-- lock so seq order is commit order and a reader polling "seq > n" never skips one.
-- published_at is the Kafka outbox state: null until the relay has written it to sentiment.alerts.v1.
CREATE TABLE alerts (
  alert_id          uuid PRIMARY KEY,
  seq               bigserial NOT NULL UNIQUE,
  tenant_id         text NOT NULL,
  ticker            text NOT NULL,
  window_size       text NOT NULL,
  window_start      timestamptz NOT NULL,
  window_end        timestamptz NOT NULL,
  direction         text NOT NULL CHECK (direction IN ('negative', 'positive')),
  severity          text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  share             double precision NOT NULL,
  baseline_mean     double precision NOT NULL,
  baseline_std      double precision NOT NULL,
  baseline_source   text NOT NULL CHECK (baseline_source IN ('prior', 'history')),
  z                 double precision NOT NULL,
  volume            integer NOT NULL,
  model_versions    text[] NOT NULL DEFAULT '{}',
  evidence          jsonb NOT NULL DEFAULT '[]',
  upgrade_of        uuid REFERENCES alerts (alert_id),
  raised_at         timestamptz NOT NULL DEFAULT now(),
  published_at      timestamptz,
  publish_attempts  integer NOT NULL DEFAULT 0,
  publish_error     text
);
CREATE INDEX alerts_ticker_raised ON alerts (tenant_id, ticker, raised_at DESC);
CREATE INDEX alerts_tenant_raised ON alerts (tenant_id, raised_at DESC);
CREATE INDEX alerts_cooldown ON alerts (tenant_id, ticker, direction, window_start);
CREATE INDEX alerts_unpublished ON alerts (seq) WHERE published_at IS NULL;

CREATE TABLE webhook_subscriptions (
  id           uuid PRIMARY KEY,
  tenant_id    text NOT NULL,
  url          text NOT NULL,
  -- The HMAC key; returned once, when the subscription is created.
  secret       text NOT NULL,
  tickers      text[] NOT NULL DEFAULT '{}',
  directions   text[] NOT NULL,
  min_severity text NOT NULL CHECK (min_severity IN ('low', 'medium', 'high')),
  description  text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, created_at);

-- One delivery per (alert, subscription), enqueued in the alert's transaction and worked off by the
-- dispatcher: a restart resumes every pending delivery.
CREATE TABLE webhook_deliveries (
  id              bigserial PRIMARY KEY,
  subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  alert_id        uuid NOT NULL REFERENCES alerts (alert_id),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_status     integer,
  last_error      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  delivered_at    timestamptz,
  UNIQUE (subscription_id, alert_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

-- Down Migration
DROP TABLE webhook_deliveries;
DROP TABLE webhook_subscriptions;
DROP TABLE alerts;
DROP TABLE late_records;
DROP TABLE baselines;
DROP TABLE windows;
DROP TABLE ticker_watermarks;
DROP TABLE processed_events;
