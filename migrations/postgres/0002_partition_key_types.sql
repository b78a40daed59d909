-- Strata schema, version 2 (PostgreSQL). Twin: migrations/sqlite/0002_partition_key_types.sql.
--
-- Typed forms of each partition key value, computed by the store in Rust when it writes the row,
-- with the rules of the filter language (`strata_core::filter::Value::for_partition_value`):
-- * int_value: the value as an integer key sees it (trimmed, an i64), NULL when it is none
--   (the default partition, `x`, out of range);
-- * date_value: the value as a date key sees it (`y-M-d`, a valid calendar date) encoded as
--   y * 10000 + m * 100 + d, which orders as the date does; NULL when it is none.
-- Filters on integer and date keys compare these columns, so they never parse text in SQL.
-- Both do not depend on the key's declared type; the query picks the column by the type.
--
-- No backfill: no partition could be written before this version (the store's partition
-- methods arrive with it).
ALTER TABLE partition_key_values
    ADD COLUMN int_value  bigint,
    ADD COLUMN date_value integer;

UPDATE strata_meta SET value = '2' WHERE key = 'schema_version';
