-- Up Migration
-- Analysts' sentiment label corrections (POST /v1/sentiment/feedback), per tenant: append-only, with
-- who and when. A correction names an article of the tenant (its normalized text is copied here, so
-- the label stays with the text the analyst saw) or gives the text itself. The training export takes
-- the latest label of each distinct text (text_hash) as of a point in time: a correction corrected
-- again, or the same wire story under several article ids, is one training example.
CREATE TABLE sentiment_feedback (
  tenant_id     text NOT NULL,
  feedback_id   uuid NOT NULL,
  article_id    text,
  text          text NOT NULL,
  text_hash     text NOT NULL,
  label         text NOT NULL,
  submitted_by  text NOT NULL,
  submitted_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, feedback_id)
);
CREATE INDEX sentiment_feedback_latest ON sentiment_feedback (tenant_id, text_hash, submitted_at DESC);

-- Down Migration
DROP TABLE sentiment_feedback;
