-- Strata schema, version 1 (SQLite). Twin: migrations/postgres/0001_init.sql; keep them alike.
--
-- Differences from PostgreSQL
-- * Ids are INTEGER PRIMARY KEY AUTOINCREMENT (never reused, like a Postgres identity).
-- * partitions.part_values is a JSON array (text) instead of text[].
-- * Booleans are integers 0/1; the lock id sequence is a one-row counter table.
-- * SQLite reports unique violations by column list, not constraint name; the store matches
--   both (crates/strata-store/src/common.rs, `constraint`). Constraints are still named here.
-- * Text compares bytewise (BINARY), the same order as COLLATE "C" on PostgreSQL.

CREATE TABLE strata_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO strata_meta (key, value) VALUES ('schema_version', '1'), ('schema_engine', 'sqlite');

-- ---------------------------------------------------------------- databases
CREATE TABLE databases (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT NOT NULL,
    description      TEXT,
    location         TEXT NOT NULL,
    managed_location TEXT,
    parameters       TEXT NOT NULL DEFAULT '{}',
    owner_name       TEXT,
    owner_type       TEXT,
    create_time      INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT databases_name_key UNIQUE (name)
);

-- ---------------------------------------------------------------- storage descriptors
-- Content-addressed: one row per distinct `StorageDescriptor::shape_json()`; shape_hash is its
-- hex SHA-256. Rows are never updated; orphans are harmless.
CREATE TABLE storage_descriptors (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    shape_hash TEXT NOT NULL,
    shape_json TEXT NOT NULL,
    CONSTRAINT storage_descriptors_shape_hash_key UNIQUE (shape_hash)
);

-- ---------------------------------------------------------------- tables
CREATE TABLE tables (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    db_id              INTEGER NOT NULL,
    name               TEXT NOT NULL,
    table_type         TEXT NOT NULL,
    owner              TEXT,
    owner_type         TEXT,
    create_time        INTEGER NOT NULL DEFAULT 0,
    last_access_time   INTEGER NOT NULL DEFAULT 0,
    retention          INTEGER NOT NULL DEFAULT 0,
    sd_id              INTEGER NOT NULL,
    location           TEXT,
    partition_keys     TEXT NOT NULL DEFAULT '[]',
    parameters         TEXT NOT NULL DEFAULT '{}',
    view_original_text TEXT,
    view_expanded_text TEXT,
    temporary          INTEGER NOT NULL DEFAULT 0,
    rewrite_enabled    INTEGER,
    CONSTRAINT tables_db_id_name_key UNIQUE (db_id, name),
    CONSTRAINT tables_db_id_fkey FOREIGN KEY (db_id) REFERENCES databases (id),
    CONSTRAINT tables_sd_id_fkey FOREIGN KEY (sd_id) REFERENCES storage_descriptors (id)
);
CREATE INDEX tables_sd_id_idx ON tables (sd_id);

-- ---------------------------------------------------------------- partitions
CREATE TABLE partitions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    table_id         INTEGER NOT NULL,
    part_name        TEXT NOT NULL,
    part_values      TEXT NOT NULL,
    sd_id            INTEGER NOT NULL,
    location         TEXT,
    create_time      INTEGER NOT NULL DEFAULT 0,
    last_access_time INTEGER NOT NULL DEFAULT 0,
    parameters       TEXT NOT NULL DEFAULT '{}',
    -- Also the index that lists a table's partitions in part_name order.
    CONSTRAINT partitions_table_id_part_name_key UNIQUE (table_id, part_name),
    CONSTRAINT partitions_table_id_fkey FOREIGN KEY (table_id) REFERENCES tables (id) ON DELETE CASCADE,
    CONSTRAINT partitions_sd_id_fkey FOREIGN KEY (sd_id) REFERENCES storage_descriptors (id)
);
CREATE INDEX partitions_sd_id_idx ON partitions (sd_id);

CREATE TABLE partition_key_values (
    partition_id INTEGER NOT NULL,
    table_id     INTEGER NOT NULL,
    key_index    INTEGER NOT NULL,
    value        TEXT NOT NULL,
    CONSTRAINT partition_key_values_pkey PRIMARY KEY (partition_id, key_index),
    CONSTRAINT partition_key_values_partition_id_fkey FOREIGN KEY (partition_id)
        REFERENCES partitions (id) ON DELETE CASCADE
);
CREATE INDEX partition_key_values_lookup_idx ON partition_key_values (table_id, key_index, value);

-- ---------------------------------------------------------------- location history
-- Append-only. No foreign keys: history outlives its tables.
CREATE TABLE location_history (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    operation         TEXT NOT NULL,
    db_name           TEXT NOT NULL,
    table_name        TEXT NOT NULL,
    partition_name    TEXT,
    partition_values  TEXT,
    batch_id          TEXT,
    previous_location TEXT,
    new_location      TEXT,
    actor             TEXT NOT NULL DEFAULT '',
    client_addr       TEXT NOT NULL DEFAULT '',
    request_id        TEXT NOT NULL DEFAULT '',
    at_millis         INTEGER NOT NULL
);
CREATE INDEX location_history_table_time_idx ON location_history (db_name, table_name, at_millis);
CREATE INDEX location_history_partition_idx ON location_history (db_name, table_name, partition_name, id);

CREATE TRIGGER location_history_no_update BEFORE UPDATE ON location_history
BEGIN
    SELECT RAISE(ABORT, 'location_history is append-only (UPDATE refused)');
END;
CREATE TRIGGER location_history_no_delete BEFORE DELETE ON location_history
BEGIN
    SELECT RAISE(ABORT, 'location_history is append-only (DELETE refused)');
END;

-- ---------------------------------------------------------------- functions
CREATE TABLE functions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    db_id         INTEGER NOT NULL,
    name          TEXT NOT NULL,
    class_name    TEXT NOT NULL,
    owner         TEXT,
    owner_type    TEXT,
    function_type INTEGER NOT NULL DEFAULT 1,
    create_time   INTEGER NOT NULL DEFAULT 0,
    resource_uris TEXT NOT NULL DEFAULT '[]',
    CONSTRAINT functions_db_id_name_key UNIQUE (db_id, name),
    CONSTRAINT functions_db_id_fkey FOREIGN KEY (db_id) REFERENCES databases (id)
);

-- ---------------------------------------------------------------- column statistics
CREATE TABLE table_column_stats (
    table_id      INTEGER NOT NULL,
    engine        TEXT NOT NULL DEFAULT 'hive',
    column_name   TEXT NOT NULL,
    column_type   TEXT NOT NULL,
    stats         TEXT NOT NULL,
    last_analyzed INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT table_column_stats_pkey PRIMARY KEY (table_id, engine, column_name),
    CONSTRAINT table_column_stats_table_id_fkey FOREIGN KEY (table_id)
        REFERENCES tables (id) ON DELETE CASCADE
);

CREATE TABLE partition_column_stats (
    partition_id  INTEGER NOT NULL,
    engine        TEXT NOT NULL DEFAULT 'hive',
    column_name   TEXT NOT NULL,
    column_type   TEXT NOT NULL,
    stats         TEXT NOT NULL,
    last_analyzed INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT partition_column_stats_pkey PRIMARY KEY (partition_id, engine, column_name),
    CONSTRAINT partition_column_stats_partition_id_fkey FOREIGN KEY (partition_id)
        REFERENCES partitions (id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- notifications
CREATE TABLE notification_log (
    event_id       INTEGER PRIMARY KEY,
    event_time     INTEGER NOT NULL,
    event_type     TEXT NOT NULL,
    catalog_name   TEXT,
    db_name        TEXT,
    table_name     TEXT,
    message        TEXT NOT NULL,
    message_format TEXT
);
CREATE INDEX notification_log_event_time_idx ON notification_log (event_time);

CREATE TABLE notification_sequence (
    id            INTEGER PRIMARY KEY,
    next_event_id INTEGER NOT NULL,
    CONSTRAINT notification_sequence_one_row CHECK (id = 1)
);
INSERT INTO notification_sequence (id, next_event_id) VALUES (1, 1);

-- ---------------------------------------------------------------- locks
CREATE TABLE lock_id_sequence (
    id           INTEGER PRIMARY KEY,
    next_lock_id INTEGER NOT NULL,
    CONSTRAINT lock_id_sequence_one_row CHECK (id = 1)
);
INSERT INTO lock_id_sequence (id, next_lock_id) VALUES (1, 1);

CREATE TABLE locks (
    lock_id               INTEGER NOT NULL,
    component_index       INTEGER NOT NULL,
    lock_type             TEXT NOT NULL,
    level                 TEXT NOT NULL,
    db_name               TEXT NOT NULL,
    table_name            TEXT,
    partition_name        TEXT,
    state                 TEXT NOT NULL,
    txn_id                INTEGER NOT NULL DEFAULT 0,
    user_name             TEXT NOT NULL DEFAULT '',
    hostname              TEXT NOT NULL DEFAULT '',
    agent_info            TEXT,
    last_heartbeat_millis INTEGER NOT NULL,
    acquired_at_millis    INTEGER,
    CONSTRAINT locks_pkey PRIMARY KEY (lock_id, component_index)
);
CREATE INDEX locks_db_table_idx ON locks (db_name, table_name);
CREATE INDEX locks_heartbeat_idx ON locks (last_heartbeat_millis) WHERE txn_id = 0;
