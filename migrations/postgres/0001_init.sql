-- Strata schema, version 1 (PostgreSQL). Twin: migrations/sqlite/0001_init.sql.
--
-- Conventions
-- * Every unique and foreign-key constraint is named; the store maps violations to domain errors
--   by these names (crates/strata-store/src/common.rs, `constraint`).
-- * Names that are listed in order (databases, tables, partitions) use COLLATE "C" so that the
--   order is bytewise, as in SQLite, and is served straight from the unique index.
-- * Parameters, columns and other nested values are JSON text, encoded by the store.
-- * Times: `*_time` are HMS epoch seconds (integer); `*_millis` are epoch milliseconds (bigint).

CREATE TABLE strata_meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);
INSERT INTO strata_meta (key, value) VALUES ('schema_version', '1'), ('schema_engine', 'postgres');

-- ---------------------------------------------------------------- databases
CREATE TABLE databases (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text COLLATE "C" NOT NULL,
    description      text,
    location         text NOT NULL,
    managed_location text,
    parameters       text NOT NULL DEFAULT '{}',
    owner_name       text,
    owner_type       text,
    create_time      integer NOT NULL DEFAULT 0,
    CONSTRAINT databases_name_key UNIQUE (name)
);

-- ---------------------------------------------------------------- storage descriptors
-- Content-addressed: one row per distinct `StorageDescriptor::shape_json()` (the descriptor
-- without its location). Tables and partitions point here and keep their own location.
-- `shape_hash` is the hex SHA-256 of `shape_json` (a btree cannot hold long texts).
-- Rows are never updated; orphans are harmless (and may be collected by a later job).
CREATE TABLE storage_descriptors (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shape_hash text NOT NULL,
    shape_json text NOT NULL,
    CONSTRAINT storage_descriptors_shape_hash_key UNIQUE (shape_hash)
);

-- ---------------------------------------------------------------- tables
CREATE TABLE tables (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    db_id              bigint NOT NULL,
    name               text COLLATE "C" NOT NULL,
    table_type         text NOT NULL,
    owner              text,
    owner_type         text,
    create_time        integer NOT NULL DEFAULT 0,
    last_access_time   integer NOT NULL DEFAULT 0,
    retention          integer NOT NULL DEFAULT 0,
    sd_id              bigint NOT NULL,
    location           text,
    partition_keys     text NOT NULL DEFAULT '[]',
    parameters         text NOT NULL DEFAULT '{}',
    view_original_text text,
    view_expanded_text text,
    temporary          boolean NOT NULL DEFAULT false,
    rewrite_enabled    boolean,
    CONSTRAINT tables_db_id_name_key UNIQUE (db_id, name),
    CONSTRAINT tables_db_id_fkey FOREIGN KEY (db_id) REFERENCES databases (id),
    CONSTRAINT tables_sd_id_fkey FOREIGN KEY (sd_id) REFERENCES storage_descriptors (id)
);
CREATE INDEX tables_sd_id_idx ON tables (sd_id);

-- ---------------------------------------------------------------- partitions
CREATE TABLE partitions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_id         bigint NOT NULL,
    part_name        text COLLATE "C" NOT NULL,
    part_values      text[] NOT NULL,
    sd_id            bigint NOT NULL,
    location         text,
    create_time      integer NOT NULL DEFAULT 0,
    last_access_time integer NOT NULL DEFAULT 0,
    parameters       text NOT NULL DEFAULT '{}',
    -- Also the index that lists a table's partitions in part_name order.
    CONSTRAINT partitions_table_id_part_name_key UNIQUE (table_id, part_name),
    CONSTRAINT partitions_table_id_fkey FOREIGN KEY (table_id) REFERENCES tables (id) ON DELETE CASCADE,
    CONSTRAINT partitions_sd_id_fkey FOREIGN KEY (sd_id) REFERENCES storage_descriptors (id)
);
CREATE INDEX partitions_sd_id_idx ON partitions (sd_id);

-- One row per (partition, key): filters on any partition key run in the database.
CREATE TABLE partition_key_values (
    partition_id bigint NOT NULL,
    table_id     bigint NOT NULL,
    key_index    integer NOT NULL,
    value        text COLLATE "C" NOT NULL,
    CONSTRAINT partition_key_values_pkey PRIMARY KEY (partition_id, key_index),
    CONSTRAINT partition_key_values_partition_id_fkey FOREIGN KEY (partition_id)
        REFERENCES partitions (id) ON DELETE CASCADE
);
CREATE INDEX partition_key_values_lookup_idx ON partition_key_values (table_id, key_index, value);

-- ---------------------------------------------------------------- location history
-- Append-only record of location changes. No foreign keys: history outlives its tables.
CREATE TABLE location_history (
    id                bigserial PRIMARY KEY,
    operation         text NOT NULL,
    db_name           text COLLATE "C" NOT NULL,
    table_name        text COLLATE "C" NOT NULL,
    partition_name    text COLLATE "C",
    partition_values  text,
    batch_id          text,
    previous_location text,
    new_location      text,
    actor             text NOT NULL DEFAULT '',
    client_addr       text NOT NULL DEFAULT '',
    request_id        text NOT NULL DEFAULT '',
    at_millis         bigint NOT NULL
);
CREATE INDEX location_history_table_time_idx ON location_history (db_name, table_name, at_millis);
CREATE INDEX location_history_partition_idx ON location_history (db_name, table_name, partition_name, id);

CREATE FUNCTION location_history_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'location_history is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER location_history_no_update BEFORE UPDATE ON location_history
    FOR EACH ROW EXECUTE FUNCTION location_history_append_only();
CREATE TRIGGER location_history_no_delete BEFORE DELETE ON location_history
    FOR EACH ROW EXECUTE FUNCTION location_history_append_only();
CREATE TRIGGER location_history_no_truncate BEFORE TRUNCATE ON location_history
    FOR EACH STATEMENT EXECUTE FUNCTION location_history_append_only();

-- ---------------------------------------------------------------- functions
CREATE TABLE functions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    db_id         bigint NOT NULL,
    name          text COLLATE "C" NOT NULL,
    class_name    text NOT NULL,
    owner         text,
    owner_type    text,
    function_type integer NOT NULL DEFAULT 1,
    create_time   integer NOT NULL DEFAULT 0,
    resource_uris text NOT NULL DEFAULT '[]',
    CONSTRAINT functions_db_id_name_key UNIQUE (db_id, name),
    CONSTRAINT functions_db_id_fkey FOREIGN KEY (db_id) REFERENCES databases (id)
);

-- ---------------------------------------------------------------- column statistics
CREATE TABLE table_column_stats (
    table_id         bigint NOT NULL,
    engine           text NOT NULL DEFAULT 'hive',
    column_name      text COLLATE "C" NOT NULL,
    column_type      text NOT NULL,
    stats            text NOT NULL,
    last_analyzed    bigint NOT NULL DEFAULT 0,
    CONSTRAINT table_column_stats_pkey PRIMARY KEY (table_id, engine, column_name),
    CONSTRAINT table_column_stats_table_id_fkey FOREIGN KEY (table_id)
        REFERENCES tables (id) ON DELETE CASCADE
);

CREATE TABLE partition_column_stats (
    partition_id     bigint NOT NULL,
    engine           text NOT NULL DEFAULT 'hive',
    column_name      text COLLATE "C" NOT NULL,
    column_type      text NOT NULL,
    stats            text NOT NULL,
    last_analyzed    bigint NOT NULL DEFAULT 0,
    CONSTRAINT partition_column_stats_pkey PRIMARY KEY (partition_id, engine, column_name),
    CONSTRAINT partition_column_stats_partition_id_fkey FOREIGN KEY (partition_id)
        REFERENCES partitions (id) ON DELETE CASCADE
);

-- ---------------------------------------------------------------- notifications
-- event_id is gap-free: taken from notification_sequence (row locked) in the writing transaction.
CREATE TABLE notification_log (
    event_id       bigint PRIMARY KEY,
    event_time     integer NOT NULL,
    event_type     text NOT NULL,
    catalog_name   text,
    db_name        text,
    table_name     text,
    message        text NOT NULL,
    message_format text
);
CREATE INDEX notification_log_event_time_idx ON notification_log (event_time);

CREATE TABLE notification_sequence (
    id            integer PRIMARY KEY,
    next_event_id bigint NOT NULL,
    CONSTRAINT notification_sequence_one_row CHECK (id = 1)
);
INSERT INTO notification_sequence (id, next_event_id) VALUES (1, 1);

-- ---------------------------------------------------------------- locks
-- One row per component of a lock request; all components share the lock id.
CREATE SEQUENCE lock_id_sequence AS bigint START WITH 1;

CREATE TABLE locks (
    lock_id               bigint NOT NULL,
    component_index       integer NOT NULL,
    lock_type             text NOT NULL,
    level                 text NOT NULL,
    db_name               text NOT NULL,
    table_name            text,
    partition_name        text,
    state                 text NOT NULL,
    txn_id                bigint NOT NULL DEFAULT 0,
    user_name             text NOT NULL DEFAULT '',
    hostname              text NOT NULL DEFAULT '',
    agent_info            text,
    last_heartbeat_millis bigint NOT NULL,
    acquired_at_millis    bigint,
    CONSTRAINT locks_pkey PRIMARY KEY (lock_id, component_index)
);
CREATE INDEX locks_db_table_idx ON locks (db_name, table_name);
CREATE INDEX locks_heartbeat_idx ON locks (last_heartbeat_millis) WHERE txn_id = 0;
