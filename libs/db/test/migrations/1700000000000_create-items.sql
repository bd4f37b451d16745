-- Up Migration
CREATE TABLE items (id text PRIMARY KEY, name text NOT NULL);

-- Down Migration
DROP TABLE items;
