-- Up Migration
-- A retrain meant to replace an alias holder that failed is history too (action 'retrain_failed',
-- from and to the holder that stays, the cause in `reason`), published as a RETRAIN_FAILED event.
ALTER TABLE alias_history DROP CONSTRAINT alias_history_action_check;
ALTER TABLE alias_history ADD CONSTRAINT alias_history_action_check
  CHECK (action IN ('promote', 'rollback', 'rejected', 'retrain_failed'));

-- Down Migration
DELETE FROM alias_history WHERE action = 'retrain_failed';
ALTER TABLE alias_history DROP CONSTRAINT alias_history_action_check;
ALTER TABLE alias_history ADD CONSTRAINT alias_history_action_check CHECK (action IN ('promote', 'rollback', 'rejected'));
