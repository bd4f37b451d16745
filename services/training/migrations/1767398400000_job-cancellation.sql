-- Up Migration
-- Long jobs (transformer fine-tuning) can be cancelled: the API records the request on the row, and
-- the replica running the job sees it on its next heartbeat and stops its worker between steps.
-- A cancelled job registers nothing. The architecture is kept so the jobs list says what trains.
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled'));
ALTER TABLE jobs ADD COLUMN cancel_requested_at timestamptz;
ALTER TABLE jobs ADD COLUMN cancel_requested_by text;
ALTER TABLE jobs ADD COLUMN architecture text;

-- Down Migration
ALTER TABLE jobs DROP COLUMN architecture;
ALTER TABLE jobs DROP COLUMN cancel_requested_by;
ALTER TABLE jobs DROP COLUMN cancel_requested_at;
UPDATE jobs SET status = 'failed' WHERE status = 'cancelled';
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (status IN ('running', 'succeeded', 'failed'));
