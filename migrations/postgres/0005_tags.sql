-- Named states of tables (`strata tag`), read through `TABLE@TAG`.
CREATE TABLE tags (
    db_name           text NOT NULL,
    table_name        text NOT NULL,
    name              text NOT NULL,
    at_millis         bigint NOT NULL,
    created_by        text NOT NULL DEFAULT '',
    created_at_millis bigint NOT NULL,
    PRIMARY KEY (db_name, table_name, name)
);

UPDATE strata_meta SET value = '5' WHERE key = 'schema_version';
