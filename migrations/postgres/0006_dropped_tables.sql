-- What a dropped table was (definition and partitions), kept so `strata undrop DB.TABLE` can
-- restore it. Written in the drop's transaction; never changed afterwards.
CREATE TABLE dropped_tables (
    drop_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_id           bigint NOT NULL,
    db_name            text COLLATE "C" NOT NULL,
    name               text COLLATE "C" NOT NULL,
    table_type         text NOT NULL,
    owner              text,
    owner_type         text,
    create_time        integer NOT NULL,
    last_access_time   integer NOT NULL,
    retention          integer NOT NULL,
    sd_id              bigint NOT NULL,
    location           text,
    partition_keys     text NOT NULL,
    parameters         text NOT NULL,
    view_original_text text,
    view_expanded_text text,
    temporary          boolean NOT NULL,
    rewrite_enabled    boolean,
    dropped_at_millis  bigint NOT NULL
);
CREATE INDEX dropped_tables_name_idx ON dropped_tables (db_name, name, drop_id);

CREATE TABLE dropped_partitions (
    drop_id          bigint NOT NULL,
    id               bigint NOT NULL,
    part_name        text COLLATE "C" NOT NULL,
    part_values      text[] NOT NULL,
    sd_id            bigint NOT NULL,
    location         text,
    create_time      integer NOT NULL,
    last_access_time integer NOT NULL,
    parameters       text NOT NULL
);
CREATE INDEX dropped_partitions_drop_idx ON dropped_partitions (drop_id, part_name);

UPDATE strata_meta SET value = '6' WHERE key = 'schema_version';
