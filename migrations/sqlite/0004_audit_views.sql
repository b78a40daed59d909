-- Audit views over the location history (docs/audit.md shows the questions they answer).
-- Times are UTC.

-- Every history row with a readable time.
CREATE VIEW audit_history AS
SELECT id, datetime(at_millis / 1000, 'unixepoch') AS at_utc, operation, db_name, table_name,
       partition_name, batch_id, previous_location, new_location, actor, client_addr, request_id
FROM location_history;

-- How many changes of each kind each table had per day.
CREATE VIEW audit_changes_per_day AS
SELECT db_name, table_name, date(at_millis / 1000, 'unixepoch') AS day, operation, count(*) AS changes
FROM location_history
GROUP BY db_name, table_name, day, operation;

-- Each live partition: where it is now, where it was before its last location change, and when.
CREATE VIEW audit_partition_locations AS
SELECT d.name AS db_name, t.name AS table_name, p.part_name AS partition_name, p.location AS current_location,
       h.previous_location, h.batch_id, h.operation AS last_operation,
       datetime(h.at_millis / 1000, 'unixepoch') AS changed_at_utc, h.actor AS changed_by
FROM partitions p
JOIN tables t ON t.id = p.table_id
JOIN databases d ON d.id = t.db_id
LEFT JOIN location_history h ON h.id = (
    SELECT max(x.id) FROM location_history x
    WHERE x.db_name = d.name AND x.table_name = t.name AND x.partition_name = p.part_name
);

-- Partition data replacements (a new location over an existing one), for "what was replaced since".
CREATE VIEW audit_replacements AS
SELECT id, datetime(at_millis / 1000, 'unixepoch') AS at_utc, db_name, table_name, partition_name,
       operation, batch_id, previous_location, new_location, actor
FROM location_history
WHERE partition_name IS NOT NULL AND previous_location IS NOT NULL AND new_location IS NOT NULL
  AND operation IN ('alter', 'rollback', 'batch_commit');

UPDATE strata_meta SET value = '4' WHERE key = 'schema_version';
