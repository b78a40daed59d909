-- Schema version 10: one canonical spelling of a location (strata_core::location::canonical),
-- indexed, and moves that settle themselves.
--
-- Locations stored before this version are rewritten to their canonical form for the spellings
-- clients actually send: `file:/x` and `file://localhost/x` become `file:///x`, `s3a://` and
-- `s3n://` become `s3://`, and a trailing `/` goes (roots keep theirs). Rarer spellings (`//`
-- or `/./` inside a path) stay as they were; readers that compare locations (gc) canonicalise
-- them. The history is append-only and keeps what was recorded; gc reads it canonicalised.
UPDATE databases SET location = 'file:///' || substr(location, 7)
    WHERE location LIKE 'file:/%' AND location NOT LIKE 'file://%';
UPDATE databases SET location = 'file:///' || substr(location, 18) WHERE location LIKE 'file://localhost/%';
UPDATE databases SET location = 's3://' || substr(location, 7) WHERE location LIKE 's3a://%' OR location LIKE 's3n://%';
UPDATE databases SET location = rtrim(location, '/')
    WHERE location LIKE '%/' AND instr(substr(rtrim(location, '/'), instr(location, '://') + 3), '/') > 0;

UPDATE tables SET location = 'file:///' || substr(location, 7)
    WHERE location LIKE 'file:/%' AND location NOT LIKE 'file://%';
UPDATE tables SET location = 'file:///' || substr(location, 18) WHERE location LIKE 'file://localhost/%';
UPDATE tables SET location = 's3://' || substr(location, 7) WHERE location LIKE 's3a://%' OR location LIKE 's3n://%';
UPDATE tables SET location = rtrim(location, '/')
    WHERE location LIKE '%/' AND instr(substr(rtrim(location, '/'), instr(location, '://') + 3), '/') > 0;

UPDATE partitions SET location = 'file:///' || substr(location, 7)
    WHERE location LIKE 'file:/%' AND location NOT LIKE 'file://%';
UPDATE partitions SET location = 'file:///' || substr(location, 18) WHERE location LIKE 'file://localhost/%';
UPDATE partitions SET location = 's3://' || substr(location, 7) WHERE location LIKE 's3a://%' OR location LIKE 's3n://%';
UPDATE partitions SET location = rtrim(location, '/')
    WHERE location LIKE '%/' AND instr(substr(rtrim(location, '/'), instr(location, '://') + 3), '/') > 0;

-- The live-location checks (the batch policy's reuse check, "does a move take another table's
-- directory", gc's "still referenced") look locations up exactly and by prefix range.
CREATE INDEX tables_location_idx ON tables (location);
CREATE INDEX partitions_location_idx ON partitions (location);

-- Each open move belongs to a server (a random id per process) that renews its lease while it
-- runs; a move whose lease expired is settled by any server (the same one after a restart).
ALTER TABLE storage_moves ADD COLUMN server_id TEXT NOT NULL DEFAULT '';
ALTER TABLE storage_moves ADD COLUMN lease_until_millis INTEGER NOT NULL DEFAULT 0;

UPDATE strata_meta SET value = '10' WHERE key = 'schema_version';
