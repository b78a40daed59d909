-- Audit views over the location history (docs/audit.md shows the questions they answer).
-- Times are UTC.

-- Every history row with a readable time.
CREATE VIEW audit_history AS
SELECT id, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC') AS at_utc, operation, db_name, table_name,
       partition_name, batch_id, previous_location, new_location, actor, client_addr, request_id
FROM location_history;

-- How many changes of each kind each table had per day.
CREATE VIEW audit_changes_per_day AS
SELECT db_name, table_name, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC')::date AS day, operation,
       count(*) AS changes
FROM location_history
GROUP BY db_name, table_name, day, operation;

-- Each live partition: where it is now, where it was before its last location change, and when.
CREATE VIEW audit_partition_locations AS
SELECT d.name AS db_name, t.name AS table_name, p.part_name AS partition_name, p.location AS current_location,
       last.previous_location, last.batch_id, last.operation AS last_operation,
       (to_timestamp(last.at_millis / 1000.0) AT TIME ZONE 'UTC') AS changed_at_utc, last.actor AS changed_by
FROM partitions p
JOIN tables t ON t.id = p.table_id
JOIN databases d ON d.id = t.db_id
LEFT JOIN LATERAL (
    SELECT h.previous_location, h.batch_id, h.operation, h.at_millis, h.actor
    FROM location_history h
    WHERE h.db_name = d.name AND h.table_name = t.name AND h.partition_name = p.part_name
    ORDER BY h.id DESC
    LIMIT 1
) last ON true;

-- Partition data replacements (a new location over an existing one), for "what was replaced since".
CREATE VIEW audit_replacements AS
SELECT id, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC') AS at_utc, db_name, table_name, partition_name,
       operation, batch_id, previous_location, new_location, actor
FROM location_history
WHERE partition_name IS NOT NULL AND previous_location IS NOT NULL AND new_location IS NOT NULL
  AND operation IN ('alter', 'rollback', 'batch_commit');

UPDATE strata_meta SET value = '4' WHERE key = 'schema_version';
