-- Up Migration
-- Model names are unique per tenant, not globally: two tenants may both have `recommender-…` or
-- `sentiment` models, and every lookup is by (tenant, name).
ALTER TABLE models DROP CONSTRAINT models_name_key;
ALTER TABLE models ADD CONSTRAINT models_tenant_name UNIQUE (tenant_id, name);

-- Down Migration
ALTER TABLE models DROP CONSTRAINT models_tenant_name;
ALTER TABLE models ADD CONSTRAINT models_name_key UNIQUE (name);
