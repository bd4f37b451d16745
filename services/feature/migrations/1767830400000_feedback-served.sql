-- Up Migration
-- What the model had said of the corrected text, when the correction says so (the dashboard's
-- corrections of alert evidence do): the served label and the model version that gave it. The
-- tenant's feedback disagreement rate is the share of the latest of these whose label differs.
ALTER TABLE sentiment_feedback
  ADD COLUMN served_label   text,
  ADD COLUMN served_model   text,
  ADD COLUMN served_version integer;
CREATE INDEX sentiment_feedback_served ON sentiment_feedback (tenant_id, submitted_at DESC)
  WHERE served_label IS NOT NULL;

-- Down Migration
DROP INDEX sentiment_feedback_served;
ALTER TABLE sentiment_feedback DROP COLUMN served_label, DROP COLUMN served_model, DROP COLUMN served_version;
