-- The batch policy looks up whether a table ever used a location.
CREATE INDEX location_history_new_location_idx ON location_history (db_name, table_name, new_location);
UPDATE strata_meta SET value = '3' WHERE key = 'schema_version';
