-- Strata schema, version 2 (SQLite). Twin: migrations/postgres/0002_partition_key_types.sql;
-- the comments there explain the columns.
ALTER TABLE partition_key_values ADD COLUMN int_value INTEGER;
ALTER TABLE partition_key_values ADD COLUMN date_value INTEGER;

UPDATE strata_meta SET value = '2' WHERE key = 'schema_version';
