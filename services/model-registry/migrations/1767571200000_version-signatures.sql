-- Up Migration
-- The Ed25519 signature training registers a version with ({ algorithm, keyId, value }; null:
-- unsigned). The registry stores it and hands it out; scoring and the CLI verify it against the
-- public keys they trust, so an artifact and checksum swapped in this database are refused.
ALTER TABLE versions ADD COLUMN signature jsonb;

-- Down Migration
ALTER TABLE versions DROP COLUMN signature;
