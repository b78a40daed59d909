-- The location history, stored one change at a time (PostgreSQL only; SQLite keeps one row per
-- entry). A change is what one request did to one table: its operation, who, from where, when,
-- and, as parallel arrays, one entry per partition (or one for the table itself). One
-- `alter_partitions` of 1,000 location swaps is one row here instead of 1,000 rows with three
-- index entries each: its history went from 4-9 ms to under 1 ms of PostgreSQL's time
-- (docs/architecture.md). `location_history` stays, as a view with the same columns, so every
-- query over it (the audit views, docs/audit.md, users' own) reads the same.

-- Entry ids. A change takes a block of 1,000 (a change holds at most 1,000 entries): its entry k
-- (from 0) has id `first_entry_id + k`. Ids increase as the old `location_history.id` did, with
-- gaps.
CREATE SEQUENCE history_entry_blocks AS bigint INCREMENT BY 1000;

CREATE TABLE history_changes (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    first_entry_id     bigint NOT NULL,
    operation          text NOT NULL,
    db_name            text COLLATE "C" NOT NULL,
    table_name         text COLLATE "C" NOT NULL,
    actor              text NOT NULL DEFAULT '',
    client_addr        text NOT NULL DEFAULT '',
    request_id         text NOT NULL DEFAULT '',
    at_millis          bigint NOT NULL,
    -- One element per entry, in entry order; a NULL element is a NULL column of that entry.
    partition_names    text[] NOT NULL,
    partition_values   text[] NOT NULL,
    batch_ids          text[] NOT NULL,
    previous_locations text[] NOT NULL,
    new_locations      text[] NOT NULL,
    -- The distinct last path segments of `new_locations` (see history_location_keys).
    location_keys      text[] NOT NULL,
    CONSTRAINT history_changes_entries_check CHECK (
        cardinality(partition_names) BETWEEN 1 AND 1000
        AND cardinality(partition_values) = cardinality(partition_names)
        AND cardinality(batch_ids) = cardinality(partition_names)
        AND cardinality(previous_locations) = cardinality(partition_names)
        AND cardinality(new_locations) = cardinality(partition_names))
);

-- The arrays are long, repetitive text: lz4 compresses them several times faster than the
-- default pglz. A server built without lz4 keeps pglz.
DO $$
BEGIN
    ALTER TABLE history_changes
        ALTER partition_names SET COMPRESSION lz4,
        ALTER partition_values SET COMPRESSION lz4,
        ALTER batch_ids SET COMPRESSION lz4,
        ALTER previous_locations SET COMPRESSION lz4,
        ALTER new_locations SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'history_changes: lz4 not available (%), arrays compressed with pglz', SQLERRM;
END;
$$;

-- Every read of the history is per table, in id order.
CREATE INDEX history_changes_table_idx ON history_changes (db_name, table_name, id);

-- The batch policy asks whether a table ever used a location. The key of a location is its last
-- path segment without trailing slashes: for the batch-ID pattern, the batch id, so a whole
-- change has one key and an append adds one index entry, not one per partition. A lookup finds
-- the changes sharing a key with the locations asked about, then compares the locations
-- themselves. The server computes the keys as this function does (crates/strata-store,
-- `location_key`); the function serves the statements that write history in SQL.
CREATE FUNCTION history_location_keys(locations text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT ARRAY(SELECT DISTINCT reverse(split_part(reverse(rtrim(l, '/')), '/', 1)) FROM unnest(locations) AS l
                   WHERE l IS NOT NULL ORDER BY 1) $$;
-- New keys wait in a pending list that every lookup reads; keep it short (256 kB, flushed into
-- the index when full or by autovacuum).
CREATE INDEX history_changes_location_keys_idx ON history_changes USING gin (location_keys)
    WITH (gin_pending_list_limit = 256);

-- Append-only, as location_history was.
CREATE TRIGGER history_changes_no_update BEFORE UPDATE ON history_changes
    FOR EACH ROW EXECUTE FUNCTION location_history_append_only();
CREATE TRIGGER history_changes_no_delete BEFORE DELETE ON history_changes
    FOR EACH ROW EXECUTE FUNCTION location_history_append_only();
CREATE TRIGGER history_changes_no_truncate BEFORE TRUNCATE ON history_changes
    FOR EACH STATEMENT EXECUTE FUNCTION location_history_append_only();

-- Move the rows written so far, each as a change of one entry that keeps its id.
INSERT INTO history_changes (first_entry_id, operation, db_name, table_name, actor, client_addr, request_id,
                             at_millis, partition_names, partition_values, batch_ids, previous_locations,
                             new_locations, location_keys)
SELECT id, operation, db_name, table_name, actor, client_addr, request_id, at_millis, ARRAY[partition_name],
       ARRAY[partition_values], ARRAY[batch_id], ARRAY[previous_location], ARRAY[new_location],
       history_location_keys(ARRAY[new_location])
FROM location_history
ORDER BY id;
SELECT setval('history_entry_blocks', max(id)) FROM location_history HAVING max(id) IS NOT NULL;

DROP VIEW audit_history, audit_changes_per_day, audit_partition_locations, audit_replacements;
DROP TABLE location_history;

-- One row per entry, with the columns location_history had. Not updatable: the history is
-- written by the server only.
CREATE VIEW location_history AS
SELECT c.first_entry_id + e.ord - 1 AS id, c.operation, c.db_name, c.table_name, e.partition_name,
       e.partition_values, e.batch_id, e.previous_location, e.new_location, c.actor, c.client_addr, c.request_id,
       c.at_millis
FROM history_changes c
CROSS JOIN LATERAL unnest(c.partition_names, c.partition_values, c.batch_ids, c.previous_locations, c.new_locations)
    WITH ORDINALITY AS e(partition_name, partition_values, batch_id, previous_location, new_location, ord);

-- The audit views of 0004, over the view (same names and columns).
CREATE VIEW audit_history AS
SELECT id, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC') AS at_utc, operation, db_name, table_name,
       partition_name, batch_id, previous_location, new_location, actor, client_addr, request_id
FROM location_history;

CREATE VIEW audit_changes_per_day AS
SELECT db_name, table_name, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC')::date AS day, operation,
       count(*) AS changes
FROM location_history
GROUP BY db_name, table_name, day, operation;

-- The last entry of each partition is found in one pass over the history (DISTINCT ON), not
-- one search of its table's history per partition.
CREATE VIEW audit_partition_locations AS
SELECT d.name AS db_name, t.name AS table_name, p.part_name AS partition_name, p.location AS current_location,
       last.previous_location, last.batch_id, last.operation AS last_operation,
       (to_timestamp(last.at_millis / 1000.0) AT TIME ZONE 'UTC') AS changed_at_utc, last.actor AS changed_by
FROM partitions p
JOIN tables t ON t.id = p.table_id
JOIN databases d ON d.id = t.db_id
LEFT JOIN (
    SELECT DISTINCT ON (db_name, table_name, partition_name)
           db_name, table_name, partition_name, previous_location, batch_id, operation, at_millis, actor
    FROM location_history
    WHERE partition_name IS NOT NULL
    ORDER BY db_name, table_name, partition_name, id DESC
) last ON last.db_name = d.name AND last.table_name = t.name AND last.partition_name = p.part_name;

CREATE VIEW audit_replacements AS
SELECT id, (to_timestamp(at_millis / 1000.0) AT TIME ZONE 'UTC') AS at_utc, db_name, table_name, partition_name,
       operation, batch_id, previous_location, new_location, actor
FROM location_history
WHERE partition_name IS NOT NULL AND previous_location IS NOT NULL AND new_location IS NOT NULL
  AND operation IN ('alter', 'rollback', 'batch_commit');

UPDATE strata_meta SET value = '9' WHERE key = 'schema_version';
