-- Up Migration
-- Every promotion decision is history: a promotion the policy refused is recorded too (action
-- 'rejected', from the alias's version to the version refused, the alias not moved), with the
-- policy's verdict and figures in `decision`, and published as a PROMOTION_REJECTED event.
ALTER TABLE alias_history DROP CONSTRAINT alias_history_action_check;
ALTER TABLE alias_history ADD CONSTRAINT alias_history_action_check CHECK (action IN ('promote', 'rollback', 'rejected'));

-- Down Migration
DELETE FROM alias_history WHERE action = 'rejected';
ALTER TABLE alias_history DROP CONSTRAINT alias_history_action_check;
ALTER TABLE alias_history ADD CONSTRAINT alias_history_action_check CHECK (action IN ('promote', 'rollback'));
