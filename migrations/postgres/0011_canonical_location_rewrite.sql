-- Schema version 11: every location stored before version 10 in its canonical form
-- (strata_core::location::canonical), history included, so the indexed checks of version 10
-- (the batch policy's reuse check, the live-location checks of moves and gc) are exact for
-- old rows too. Version 10 rewrote the common spellings in SQL; the rest (`//` and `/./`
-- inside a path, `..`, and the history) needs the canonical function itself, so the server
-- rewrites them in Rust right after this migration, in one transaction, and records that it
-- did: the row below goes from 'pending' to 'done' (crates/strata-store, `canonical`).
INSERT INTO strata_meta (key, value) VALUES ('canonical_locations', 'pending')
    ON CONFLICT (key) DO UPDATE SET value = 'pending';

UPDATE strata_meta SET value = '11' WHERE key = 'schema_version';
