-- What a dropped table was (definition and partitions), kept so `strata undrop DB.TABLE` can
-- restore it. Written in the drop's transaction; never changed afterwards.
CREATE TABLE dropped_tables (
    drop_id            INTEGER PRIMARY KEY AUTOINCREMENT,
    table_id           INTEGER NOT NULL,
    db_name            TEXT NOT NULL,
    name               TEXT NOT NULL,
    table_type         TEXT NOT NULL,
    owner              TEXT,
    owner_type         TEXT,
    create_time        INTEGER NOT NULL,
    last_access_time   INTEGER NOT NULL,
    retention          INTEGER NOT NULL,
    sd_id              INTEGER NOT NULL,
    location           TEXT,
    partition_keys     TEXT NOT NULL,
    parameters         TEXT NOT NULL,
    view_original_text TEXT,
    view_expanded_text TEXT,
    temporary          INTEGER NOT NULL,
    rewrite_enabled    INTEGER,
    dropped_at_millis  INTEGER NOT NULL
);
CREATE INDEX dropped_tables_name_idx ON dropped_tables (db_name, name, drop_id);

CREATE TABLE dropped_partitions (
    drop_id          INTEGER NOT NULL,
    id               INTEGER NOT NULL,
    part_name        TEXT NOT NULL,
    part_values      TEXT NOT NULL,
    sd_id            INTEGER NOT NULL,
    location         TEXT,
    create_time      INTEGER NOT NULL,
    last_access_time INTEGER NOT NULL,
    parameters       TEXT NOT NULL
);
CREATE INDEX dropped_partitions_drop_idx ON dropped_partitions (drop_id, part_name);

UPDATE strata_meta SET value = '6' WHERE key = 'schema_version';
