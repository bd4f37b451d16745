-- Up Migration
-- API keys of every service, in the shared `auth` schema (one table the CLI writes and every service
-- reads). Only the SHA-256 of the secret is stored: the secret is 256 random bits, so a fast hash
-- cannot be brute-forced and no salt or slow KDF is needed (those defend low-entropy passwords).
CREATE TABLE api_keys (
  id             text PRIMARY KEY,
  tenant_id      text NOT NULL,
  name           text NOT NULL,
  secret_sha256  bytea NOT NULL,
  scopes         text[] NOT NULL,
  -- A platform key may act for any tenant named in X-Mercato-Tenant (service-to-service calls).
  platform       boolean NOT NULL DEFAULT false,
  rate_rps       double precision,
  rate_burst     integer,
  rotated_from   text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  revoked_at     timestamptz,
  last_used_at   timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, created_at);

-- Down Migration
DROP TABLE api_keys;
