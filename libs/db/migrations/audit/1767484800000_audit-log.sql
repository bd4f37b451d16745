-- Up Migration
-- The audit log of one service (or of the `auth` schema, for API key changes): one row per
-- state-changing call, written in the transaction of the change. The principal is the caller's
-- authenticated identity (an API key id, a JWT subject, or the database role of an operator tool),
-- never a name the caller typed; `reason` is free text the caller gave.
CREATE TABLE audit_log (
  id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        timestamptz NOT NULL DEFAULT now(),
  tenant_id text NOT NULL,
  principal text NOT NULL,
  -- api-key, jwt, development (AUTH_MODE=off) or database (an operator tool's database role)
  method    text NOT NULL,
  action    text NOT NULL,
  target    text NOT NULL,
  outcome   text NOT NULL,
  reason    text NOT NULL DEFAULT '',
  details   jsonb NOT NULL DEFAULT '{}',
  trace_id  text
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at DESC);

-- Down Migration
DROP TABLE audit_log;
