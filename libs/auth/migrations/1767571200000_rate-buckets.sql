-- Up Migration
-- Rate limits shared by every replica of every service: one token bucket per credential. A replica
-- takes a small lease of tokens at a time (take_rate_tokens: refill by the elapsed time, grant up to
-- the lease, in one round trip under the row's lock) and spends it locally, so N replicas together
-- admit the credential's rate, not N times it.
CREATE TABLE rate_buckets (
  credential text PRIMARY KEY,
  tokens     double precision NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE FUNCTION take_rate_tokens(p_credential text, p_burst double precision, p_rps double precision, p_want integer)
RETURNS TABLE (granted integer, tokens double precision)
LANGUAGE plpgsql AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_tokens double precision;
  v_granted integer;
BEGIN
  INSERT INTO auth.rate_buckets AS b (credential, tokens, updated_at)
  VALUES (p_credential, p_burst, v_now)
  ON CONFLICT (credential) DO UPDATE
    SET tokens = LEAST(p_burst, b.tokens + GREATEST(0, EXTRACT(EPOCH FROM (v_now - b.updated_at))) * p_rps),
        updated_at = v_now
  RETURNING b.tokens INTO v_tokens;
  v_granted := LEAST(p_want, floor(v_tokens))::integer;
  UPDATE auth.rate_buckets SET tokens = v_tokens - v_granted WHERE credential = p_credential;
  RETURN QUERY SELECT v_granted, v_tokens - v_granted;
END
$$;

-- Down Migration
DROP FUNCTION take_rate_tokens(text, double precision, double precision, integer);
DROP TABLE rate_buckets;
