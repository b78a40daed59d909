-- Schema version 9. On PostgreSQL this version stores the location history one change per row
-- (migrations/postgres/0009_history_changes.sql). SQLite keeps one row per entry in
-- `location_history`: an embedded store writes small changes, and its rows cost no round trips.
-- The version number moves with PostgreSQL's so both engines report the same schema version.
UPDATE strata_meta SET value = '9' WHERE key = 'schema_version';
