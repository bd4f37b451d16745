-- Up Migration
-- The article whose record completed an alert (the last one of the raising batch counted into its
-- window) and that record's W3C trace context: the alert's evidence trace, the creation context its
-- Kafka record carries, and what the relay's span links to. Null for alerts raised before.
ALTER TABLE alerts ADD COLUMN completed_by_article text, ADD COLUMN trace_parent text;

-- Down Migration
ALTER TABLE alerts DROP COLUMN completed_by_article, DROP COLUMN trace_parent;
