-- Up Migration
ALTER TABLE items ADD COLUMN price numeric NOT NULL DEFAULT 0;

-- Down Migration
ALTER TABLE items DROP COLUMN price;
