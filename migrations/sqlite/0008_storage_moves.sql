-- The journal of moves to (and back from) the retained area. A move is recorded as `started`
-- before any data moves and `done` or `undone` after; on S3 a move is copy-then-delete, so a
-- server that stops halfway leaves a `started` row that `strata moves --resume` finishes (the
-- change that needed the move committed: its history row has the same previous and new
-- location) or undoes (it did not).
CREATE TABLE storage_moves (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    from_location   TEXT NOT NULL,
    to_location     TEXT NOT NULL,
    request_id      TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT '',
    started_millis  INTEGER NOT NULL,
    finished_millis INTEGER
);
CREATE INDEX storage_moves_open_idx ON storage_moves (id) WHERE state = 'started';

UPDATE strata_meta SET value = '8' WHERE key = 'schema_version';
