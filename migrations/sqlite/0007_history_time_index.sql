-- History rows are read per table (`db_name, table_name` prefix of the partition index) and
-- filtered on time there; a separate time index only made every appended row cost one more
-- index insert.
DROP INDEX location_history_table_time_idx;

UPDATE strata_meta SET value = '7' WHERE key = 'schema_version';
